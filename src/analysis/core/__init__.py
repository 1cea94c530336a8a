"""What every stage shares: errors, the canonical vocabulary and table schemas, atomic outputs, calendar months."""
