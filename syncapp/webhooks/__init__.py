"""Webhooks: changes from the feed pushed to staff-registered endpoints, signed per Standard Webhooks."""
