"""Residents' concerns from intake to rating (收集—分办—处置—反馈—评价), their figures and the street's view."""
