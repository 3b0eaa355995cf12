from django.db import migrations

# The case messages as first seeded, and as they read now: with the reply written for the
# resident (``{reply}``, empty when a step has none; a staff note never).
OLD_AND_NEW = {
    "case.reported": (
        "【{site}】您反映的问题已收到（{number}）：{title}。查看进度：{tracking_url}",
        "【{site}】您反映的问题已收到（{number}）：{title}。{reply}查看进度：{tracking_url}",
    ),
    "case.accepted": (
        "【{site}】您反映的问题已受理（{number}）：{title}。查看进度：{tracking_url}",
        "【{site}】您反映的问题已受理（{number}）：{title}。{reply}查看进度：{tracking_url}",
    ),
    "case.done": (
        "【{site}】您反映的问题（{number}）{state}：{title}。查看进度：{tracking_url}",
        "【{site}】您反映的问题（{number}）{state}：{title}。{reply}查看进度：{tracking_url}",
    ),
    "case.transferred": (
        "【{site}】您反映的问题（{number}）{state}。查看进度：{tracking_url}",
        "【{site}】您反映的问题（{number}）{state}。{reply}查看进度：{tracking_url}",
    ),
    "case.closed": (
        "【{site}】您反映的问题（{number}）已办结，感谢您的支持。欢迎评价：{tracking_url}",
        "【{site}】您反映的问题（{number}）已办结，感谢您的支持。{reply}欢迎评价：{tracking_url}",
    ),
}


def add_the_reply(apps, schema_editor):
    """Only the templates still as seeded: words an administrator changed are theirs."""
    MessageTemplate = apps.get_model("notices", "MessageTemplate")
    for event, (old, new) in OLD_AND_NEW.items():
        MessageTemplate.objects.filter(event=event, text=old).update(text=new)


def take_it_out(apps, schema_editor):
    MessageTemplate = apps.get_model("notices", "MessageTemplate")
    for event, (old, new) in OLD_AND_NEW.items():
        MessageTemplate.objects.filter(event=event, text=new).update(text=old)


class Migration(migrations.Migration):
    dependencies = [("notices", "0002_seed_kinds_and_templates")]
    operations = [migrations.RunPython(add_the_reply, take_it_out)]
