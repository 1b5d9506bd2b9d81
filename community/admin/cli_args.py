"""The arguments of `yishi street`, `yishi community` and `yishi staff` (run by community/admin/cli.py), apart so
that building the command line does not load the services: `yishi tally` starts in a fraction of a second."""

from __future__ import annotations

from typing import Any

from community.admin import core


def add_commands(sub: Any, handler: Any) -> None:
    """The subcommands, added to the `yishi` parser; `handler(command)` makes their func."""
    p = sub.add_parser("street", help="create streets (街道)")
    street = p.add_subparsers(dest="street_command", required=True, metavar="ACTION")
    s = street.add_parser("create", help="create a street")
    s.add_argument("--slug", required=True, help="short address: lower-case letters, digits and dashes")
    s.add_argument("--name", required=True, help="the street's name, e.g. 长宁街道")
    s.add_argument("--address", default="", help="the street office's address")
    s.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this account (default: the first administrator)")
    s.set_defaults(func=handler("street create"), needs_db=True)

    p = sub.add_parser("community", help="create communities (社区)")
    community = p.add_subparsers(dest="community_command", required=True, metavar="ACTION")
    c = community.add_parser("create", help="create a community in a street")
    c.add_argument("--street", required=True, metavar="SLUG", help="the street's short address")
    c.add_argument("--slug", required=True, help="the community's short address, in /c/SLUG")
    c.add_argument("--name", required=True, help="the community's name, e.g. 幸福里社区")
    c.add_argument("--address", default="", help="its address")
    c.add_argument("--timezone", default="", help="its time zone (default: YISHI_TIMEZONE)")
    c.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this account (default: the first administrator)")
    c.set_defaults(func=handler("community create"), needs_db=True)

    p = sub.add_parser("staff", help="appoint, remove and list a community's staff")
    staff = p.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    a = staff.add_parser("appoint", help="appoint someone (a new account gets a one-time activation code)")
    a.add_argument("--community", required=True, metavar="SLUG")
    a.add_argument("--phone", required=True, help="their mobile number")
    a.add_argument("--name", default="", help="their name (for a new account)")
    a.add_argument("--role", required=True, choices=core.COMMUNITY_ROLES)
    a.add_argument("--scope", default="community", choices=core.SCOPE_KINDS, help="default: the whole community")
    a.add_argument("--part", action="append", metavar="NAME",
                   help="a compound, compound/building or compound/building/unit of the register (repeat)")
    a.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this account (default: the first administrator)")
    a.set_defaults(func=handler("staff appoint"), needs_db=True)
    r = staff.add_parser("remove", help="remove a role")
    r.add_argument("--community", required=True, metavar="SLUG")
    r.add_argument("--phone", required=True, help="their phone number or username")
    r.add_argument("--role", required=True, choices=core.COMMUNITY_ROLES)
    r.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this account (default: the first administrator)")
    r.set_defaults(func=handler("staff remove"), needs_db=True)
    li = staff.add_parser("list", help="list the staff and their scopes")
    li.add_argument("--community", required=True, metavar="SLUG")
    li.add_argument("--as", dest="as_login", metavar="LOGIN", help="act as this account (default: the first administrator)")
    li.set_defaults(func=handler("staff list"), needs_db=True)

