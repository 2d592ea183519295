"""The trading analytics platform's own library, imported by every stack."""
