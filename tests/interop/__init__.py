"""Other programs' mail: NSS (Thunderbird), Bouncy Castle and gpgsm, in both directions."""
