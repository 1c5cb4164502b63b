# The Security Hub CloudWatch.1-14 (CIS) metric filters, each written differently from the
# reference pattern (conditions reordered, other quoting, blanks and newlines, heredocs) but
# meaning the same, each with an alarm on its metric: `cwquery cis` reports every control covered.

resource "aws_cloudwatch_log_metric_filter" "root_usage" { # CloudWatch.1
  name           = "root-usage"
  log_group_name = "cloudtrail"
  pattern        = <<-EOT
    {
      $.userIdentity.invokedBy NOT EXISTS &&
      $.eventType != AwsServiceEvent &&
      $.userIdentity.type = "Root"
    }
  EOT

  metric_transformation {
    name      = "RootUsage"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "unauthorized_api_calls" { # CloudWatch.2
  name           = "unauthorized-api-calls"
  log_group_name = "cloudtrail"
  pattern        = "{ ($.errorCode = \"AccessDenied*\") || ($.errorCode = \"*UnauthorizedOperation\") }"

  metric_transformation {
    name      = "UnauthorizedApiCalls"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "console_sign_in_without_mfa" { # CloudWatch.3
  name           = "console-sign-in-without-mfa"
  log_group_name = "cloudtrail"
  pattern        = "{$.userIdentity.type=IAMUser&&$.eventName=ConsoleLogin&&$.responseElements.ConsoleLogin=Success&&$.additionalEventData.MFAUsed!=Yes}"

  metric_transformation {
    name      = "ConsoleSignInWithoutMfa"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "iam_policy_changes" { # CloudWatch.4
  name           = "iam-policy-changes"
  log_group_name = "cloudtrail"
  pattern        = <<EOT
{ ($.eventName = PutUserPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutGroupPolicy)
  || ($.eventName = DetachUserPolicy) || ($.eventName = DetachRolePolicy)
  || ($.eventName = DetachGroupPolicy) || ($.eventName = DeleteUserPolicy)
  || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteGroupPolicy)
  || ($.eventName = DeletePolicyVersion) || ($.eventName = DeletePolicy)
  || ($.eventName = CreatePolicyVersion) || ($.eventName = CreatePolicy)
  || ($.eventName = AttachUserPolicy) || ($.eventName = AttachRolePolicy)
  || ($.eventName = AttachGroupPolicy) }
EOT

  metric_transformation {
    name      = "IamPolicyChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "cloudtrail_changes" { # CloudWatch.5
  name           = "cloudtrail-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ $.eventName = \"StartLogging\" || $.eventName = \"StopLogging\" || $.eventName = \"CreateTrail\" || $.eventName = \"DeleteTrail\" || $.eventName = \"UpdateTrail\" }"

  metric_transformation {
    name      = "CloudTrailChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "console_authentication_failures" { # CloudWatch.6
  name           = "console-authentication-failures"
  log_group_name = "cloudtrail"
  pattern        = "{ ($.errorMessage = \"Failed authentication\") && ($.eventName = \"ConsoleLogin\") }"

  metric_transformation {
    name      = "ConsoleAuthenticationFailures"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "disable_or_delete_cmk" { # CloudWatch.7
  name           = "disable-or-delete-cmk"
  log_group_name = "cloudtrail"
  pattern        = "{ ($.eventName = ScheduleKeyDeletion || $.eventName = DisableKey) && ($.eventSource = \"kms.amazonaws.com\") }"

  metric_transformation {
    name      = "DisableOrDeleteCmk"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "s3_bucket_policy_changes" { # CloudWatch.8
  name           = "s3-bucket-policy-changes"
  log_group_name = "cloudtrail"
  pattern        = <<-EOT
    {
      ($.eventSource = "s3.amazonaws.com" && $.eventName = PutBucketAcl) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = PutBucketPolicy) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = PutBucketCors) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = PutBucketLifecycle) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = PutBucketReplication) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = DeleteBucketPolicy) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = DeleteBucketCors) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = DeleteBucketLifecycle) ||
      ($.eventSource = "s3.amazonaws.com" && $.eventName = DeleteBucketReplication)
    }
  EOT

  metric_transformation {
    name      = "S3BucketPolicyChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "aws_config_changes" { # CloudWatch.9
  name           = "aws-config-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ $.eventSource = config.amazonaws.com && ( $.eventName = PutConfigurationRecorder || $.eventName = StopConfigurationRecorder || $.eventName = PutDeliveryChannel || $.eventName = DeleteDeliveryChannel ) }"

  metric_transformation {
    name      = "AwsConfigChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "security_group_changes" { # CloudWatch.10
  name           = "security-group-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) }"

  metric_transformation {
    name      = "SecurityGroupChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "network_acl_changes" { # CloudWatch.11
  name           = "network-acl-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ $.eventName = \"ReplaceNetworkAclAssociation\" || $.eventName = \"ReplaceNetworkAclEntry\" || $.eventName = \"DeleteNetworkAclEntry\" || $.eventName = \"DeleteNetworkAcl\" || $.eventName = \"CreateNetworkAclEntry\" || $.eventName = \"CreateNetworkAcl\" }"

  metric_transformation {
    name      = "NetworkAclChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "network_gateway_changes" { # CloudWatch.12
  name           = "network-gateway-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ ($.eventName = AttachInternetGateway) || ($.eventName = DetachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) }"

  metric_transformation {
    name      = "NetworkGatewayChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "route_table_changes" { # CloudWatch.13
  name           = "route-table-changes"
  log_group_name = "cloudtrail"
  pattern        = <<-EOT
    { $.eventName = CreateRoute || $.eventName = DeleteRoute || $.eventName = ReplaceRoute
      || $.eventName = CreateRouteTable || $.eventName = DeleteRouteTable
      || $.eventName = DisassociateRouteTable || $.eventName = ReplaceRouteTableAssociation }
  EOT

  metric_transformation {
    name      = "RouteTableChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_metric_filter" "vpc_changes" { # CloudWatch.14
  name           = "vpc-changes"
  log_group_name = "cloudtrail"
  pattern        = "{ $.eventName = \"CreateVpc\" || $.eventName = \"DeleteVpc\" || $.eventName = \"ModifyVpcAttribute\" || $.eventName = \"AcceptVpcPeeringConnection\" || $.eventName = \"CreateVpcPeeringConnection\" || $.eventName = \"DeleteVpcPeeringConnection\" || $.eventName = \"RejectVpcPeeringConnection\" || $.eventName = \"AttachClassicLinkVpc\" || $.eventName = \"DetachClassicLinkVpc\" || $.eventName = \"DisableVpcClassicLink\" || $.eventName = \"EnableVpcClassicLink\" }"

  metric_transformation {
    name      = "VpcChanges"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "root_usage" {
  alarm_name          = "cis-root-usage"
  metric_name         = aws_cloudwatch_log_metric_filter.root_usage.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.root_usage.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "unauthorized_api_calls" {
  alarm_name          = "cis-unauthorized-api-calls"
  metric_name         = "UnauthorizedApiCalls"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "console_sign_in_without_mfa" {
  alarm_name          = "cis-console-sign-in-without-mfa"
  metric_name         = aws_cloudwatch_log_metric_filter.console_sign_in_without_mfa.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.console_sign_in_without_mfa.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "iam_policy_changes" {
  alarm_name          = "cis-iam-policy-changes"
  metric_name         = "IamPolicyChanges"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "cloudtrail_changes" {
  alarm_name          = "cis-cloudtrail-changes"
  metric_name         = aws_cloudwatch_log_metric_filter.cloudtrail_changes.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.cloudtrail_changes.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "console_authentication_failures" {
  alarm_name          = "cis-console-authentication-failures"
  metric_name         = "ConsoleAuthenticationFailures"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "disable_or_delete_cmk" {
  alarm_name          = "cis-disable-or-delete-cmk"
  metric_name         = aws_cloudwatch_log_metric_filter.disable_or_delete_cmk.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.disable_or_delete_cmk.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "s3_bucket_policy_changes" {
  alarm_name          = "cis-s3-bucket-policy-changes"
  metric_name         = "S3BucketPolicyChanges"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "aws_config_changes" {
  alarm_name          = "cis-aws-config-changes"
  metric_name         = aws_cloudwatch_log_metric_filter.aws_config_changes.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.aws_config_changes.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "security_group_changes" {
  alarm_name          = "cis-security-group-changes"
  metric_name         = "SecurityGroupChanges"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "network_acl_changes" {
  alarm_name          = "cis-network-acl-changes"
  metric_name         = aws_cloudwatch_log_metric_filter.network_acl_changes.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.network_acl_changes.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "network_gateway_changes" {
  alarm_name          = "cis-network-gateway-changes"
  metric_name         = "NetworkGatewayChanges"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "route_table_changes" {
  alarm_name          = "cis-route-table-changes"
  metric_name         = aws_cloudwatch_log_metric_filter.route_table_changes.metric_transformation[0].name
  namespace           = aws_cloudwatch_log_metric_filter.route_table_changes.metric_transformation[0].namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "vpc_changes" {
  alarm_name          = "cis-vpc-changes"
  metric_name         = "VpcChanges"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.alert_topic_arn]
}

variable "alert_topic_arn" {
  type = string
}
