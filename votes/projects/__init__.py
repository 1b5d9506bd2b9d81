"""Elevator and renovation projects: cost shares, occupied-flat consents, public notice and objections."""
