"""API schemas every app's answers share."""

from ninja import Schema


# A place of the territory tree as other objects name it (a membership's, a case's grid);
# here, not in territory, since accounts lies below territory. (No docstring: it would become
# the schema's description in the OpenAPI document.)
class NodeBrief(Schema):
    id: int
    kind: str
    code: str
    name: str
