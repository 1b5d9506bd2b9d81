"""Procedure the law and the community's rules require: notice periods, what a notice states, venue clashes."""
