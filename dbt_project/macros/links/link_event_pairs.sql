{% macro link_event_pairs() %}
    {#- (eventSource, eventName) pairs the links read besides the map's; the STS ones go to stg_cloudtrail__role_sessions.
        runner/trailcreator/attribution.py (LINK_EVENT_PAIRS) names the same events for the reader. -#}
    {{ return([
        ('cloudformation.amazonaws.com', 'CreateStack'),
        ('cloudformation.amazonaws.com', 'UpdateStack'),
        ('cloudformation.amazonaws.com', 'ExecuteChangeSet'),
        ('ec2.amazonaws.com', 'RunInstances'),
        ('autoscaling.amazonaws.com', 'CreateAutoScalingGroup'),
    ]) }}
{% endmacro %}
