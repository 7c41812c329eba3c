"""Pure rules for statutory response terms: working-day calendars and due-date arithmetic."""
