"""The read path's policy above inspection: what reading a message may teach the contacts."""
