"""The pygame-ce kiosk: voter and companion screens."""
