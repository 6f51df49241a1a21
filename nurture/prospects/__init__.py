"""The prospect's side: sign-up, confirmation, unsubscribe, preferences, address change."""
