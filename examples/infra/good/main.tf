resource "aws_cloudwatch_log_group" "app" {
  name              = "/app/prod"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_metric_filter" "slow_errors" {
  name           = "slow-errors"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "{ $.latency > 1000 && $.level = \"ERROR\" }"

  metric_transformation {
    name      = "SlowErrors"
    namespace = "App"
    value     = "$.latency"
    dimensions = {
      Level = "$.level"
    }
  }
}

# Access logs: count 4xx responses, bytes as the value.
resource "aws_cloudwatch_log_metric_filter" "client_errors" {
  name           = "client-errors"
  log_group_name = "/app/access"
  pattern        = <<-EOT
    [ip, identity, user, timestamp, request, status_code = 4*, bytes]
  EOT

  metric_transformation {
    name      = "ClientErrorBytes"
    namespace = "App"
    value     = "$bytes"
  }
}

resource "aws_cloudwatch_log_subscription_filter" "per_environment" {
  name            = "per-environment"
  log_group_name  = aws_cloudwatch_log_group.app.name
  destination_arn = var.destination_arn
  filter_pattern  = "{ $.env = \"${var.environment}\" }"
}

resource "aws_cloudwatch_log_subscription_filter" "all" {
  name            = "all"
  log_group_name  = "/app/access"
  destination_arn = var.destination_arn
  filter_pattern  = ""
}
