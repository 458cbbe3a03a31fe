"""Assessments, recommendations and their follow-up, lessons, their attachments, and the knowledge search."""
