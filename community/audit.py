"""The one audit function: who did what, when. Call it inside the write transaction of the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.tables import AuditLog


async def audit(
    action: str,
    *,
    actor: int | None,
    community: int | None = None,
    street: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    **detail: Any,
) -> None:
    await AuditLog.insert(
        AuditLog(
            action=action,
            actor=actor,
            community=community,
            street=street,
            object_type=object_type,
            object_id=object_id,
            detail={**(details or {}), **detail},
        )
    )
