package ring

// MaxMessageSize bounds an encoded Message; larger input is rejected by the decoder.
const MaxMessageSize = 64 << 10

// MarshalBinary encodes m in the versioned ring wire format.
func (m *Message) MarshalBinary() ([]byte, error) { panic("ring: not implemented yet") }

// UnmarshalBinary decodes b into m. Malformed, truncated or oversized input is an error, never a panic.
func (m *Message) UnmarshalBinary(b []byte) error { panic("ring: not implemented yet") }
