from wangge.cases import services
from wangge.core.jobs import periodic


@periodic(60)
def sweep_deadlines():
    """Every minute: yellow and red marks, escalation of late cases."""
    return services.sweep()
