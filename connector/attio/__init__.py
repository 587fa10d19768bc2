"""The Attio side: REST client, typed errors, rendering, the per-caller provider and the demo workspace."""
