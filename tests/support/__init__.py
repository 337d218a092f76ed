"""What the tests share: partner clients, the REST client, the hostile corpus."""
