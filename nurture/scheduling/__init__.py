"""Pure scheduling: which step is due, conditions, exits and send windows."""
