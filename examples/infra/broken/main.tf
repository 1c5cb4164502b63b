resource "aws_cloudwatch_log_metric_filter" "status_and_bytes" {
  name           = "status-and-bytes"
  log_group_name = "/app/access"
  pattern        = "[ip, user, ..., status_code = 4* && bytes > 1000]"

  metric_transformation {
    name      = "LargeClientErrors"
    namespace = "App"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "latency" {
  name           = "latency"
  log_group_name = "/app/prod"
  pattern        = "{ $.level = \"ERROR\" && $.latency > fast }"

  metric_transformation {
    name      = "Latency"
    namespace = "App"
    value     = "$.latency"
  }
}

resource "aws_cloudwatch_log_subscription_filter" "two_wildcards" {
  name            = "two-wildcards"
  log_group_name  = "/app/prod"
  destination_arn = "arn:aws:lambda:eu-west-1:123456789012:function:sink"
  filter_pattern  = <<-EOT
    { $.records[*].tags[*] = "urgent" }
  EOT
}

resource "aws_cloudwatch_log_metric_filter" "dimension_typo" {
  name           = "dimension-typo"
  log_group_name = "/app/prod"
  pattern        = "{ $.level = \"ERROR\" && $.region = * }"

  metric_transformation {
    name      = "Errors"
    namespace = "App"
    value     = "1"
    dimensions = {
      Region = "$.regoin"
    }
  }
}
