"""Deliberation: consultations, meetings, agenda, comments, concerns and minutes."""
