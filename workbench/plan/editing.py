"""Editing the Step 3 plan in the file's ``plan:`` section (notebooks, widgets): only what the user changes
is written; generated items are removed by listing them in ``removed:``."""

from __future__ import annotations

from typing import Any

from ..classify import classify
from ..inventory import Prefecture
from ..inventory.plan import ActionItemEdit, Plan, canonical_item_id
from .step2 import recommend_organisation
from .step3 import generated_items, step1_inputs


def set_item(pref: Prefecture, item_id: str, **changes: Any) -> ActionItemEdit:
    """Edit (or add) an action item in ``pref.plan``: only the keys given are written to the file.

    Validated like the file (Japanese labels accepted). Returns the stored edit.
    """
    item_id = canonical_item_id(item_id)
    section = pref.plan or Plan()
    items = list(section.items)
    for k, e in enumerate(items):
        if e.id == item_id:
            data = e.model_dump(exclude_unset=True)
            data.update(changes)
            items[k] = ActionItemEdit.model_validate(data)
            break
    else:
        items.append(ActionItemEdit.model_validate({"id": item_id, **changes}))
    section.items = items
    if item_id in section.removed:
        section.removed = [r for r in section.removed if r != item_id]
    pref.plan = section
    return next(e for e in section.items if e.id == item_id)


def remove_item(pref: Prefecture, item_id: str) -> None:
    """Remove an action item: a user-added one is deleted, a generated one is listed in ``removed:``."""
    item_id = canonical_item_id(item_id)
    section = pref.plan or Plan()
    cl = classify(pref)
    org = recommend_organisation(pref).effective
    generated = {g["id"] for g in generated_items(cl.pattern, org, **step1_inputs(pref, cl))}
    section.items = [e for e in section.items if e.id != item_id]
    if item_id in generated and item_id not in section.removed:
        section.removed = [*section.removed, item_id]
    pref.plan = section
