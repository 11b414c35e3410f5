package partnercenter

// Code written by hand from one pattern: each object type of the resource
// decodes through decodeObject, which fills Extra with the members it does
// not model, and encodes through encodeObject, which writes them back.

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Referral) UnmarshalJSON(b []byte) error {
	type plain Referral
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Referral) MarshalJSON() ([]byte, error) {
	type plain Referral
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *TrackingInfo) UnmarshalJSON(b []byte) error {
	type plain TrackingInfo
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v TrackingInfo) MarshalJSON() ([]byte, error) {
	type plain TrackingInfo
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *CustomerProfile) UnmarshalJSON(b []byte) error {
	type plain CustomerProfile
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v CustomerProfile) MarshalJSON() ([]byte, error) {
	type plain CustomerProfile
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Address) UnmarshalJSON(b []byte) error {
	type plain Address
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Address) MarshalJSON() ([]byte, error) {
	type plain Address
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Member) UnmarshalJSON(b []byte) error {
	type plain Member
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Member) MarshalJSON() ([]byte, error) {
	type plain Member
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *ContactPreference) UnmarshalJSON(b []byte) error {
	type plain ContactPreference
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v ContactPreference) MarshalJSON() ([]byte, error) {
	type plain ContactPreference
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Consent) UnmarshalJSON(b []byte) error {
	type plain Consent
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Consent) MarshalJSON() ([]byte, error) {
	type plain Consent
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *ReferralDetails) UnmarshalJSON(b []byte) error {
	type plain ReferralDetails
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v ReferralDetails) MarshalJSON() ([]byte, error) {
	type plain ReferralDetails
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Requirements) UnmarshalJSON(b []byte) error {
	type plain Requirements
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Requirements) MarshalJSON() ([]byte, error) {
	type plain Requirements
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Requirement) UnmarshalJSON(b []byte) error {
	type plain Requirement
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Requirement) MarshalJSON() ([]byte, error) {
	type plain Requirement
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Solution) UnmarshalJSON(b []byte) error {
	type plain Solution
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Solution) MarshalJSON() ([]byte, error) {
	type plain Solution
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *AdditionalRequirements) UnmarshalJSON(b []byte) error {
	type plain AdditionalRequirements
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v AdditionalRequirements) MarshalJSON() ([]byte, error) {
	type plain AdditionalRequirements
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Attribute) UnmarshalJSON(b []byte) error {
	type plain Attribute
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Attribute) MarshalJSON() ([]byte, error) {
	type plain Attribute
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Attributes) UnmarshalJSON(b []byte) error {
	type plain Attributes
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Attributes) MarshalJSON() ([]byte, error) {
	type plain Attributes
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *InviteContext) UnmarshalJSON(b []byte) error {
	type plain InviteContext
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v InviteContext) MarshalJSON() ([]byte, error) {
	type plain InviteContext
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Organization) UnmarshalJSON(b []byte) error {
	type plain Organization
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Organization) MarshalJSON() ([]byte, error) {
	type plain Organization
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *ReferralTarget) UnmarshalJSON(b []byte) error {
	type plain ReferralTarget
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v ReferralTarget) MarshalJSON() ([]byte, error) {
	type plain ReferralTarget
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *ReferralLinks) UnmarshalJSON(b []byte) error {
	type plain ReferralLinks
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v ReferralLinks) MarshalJSON() ([]byte, error) {
	type plain ReferralLinks
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Link) UnmarshalJSON(b []byte) error {
	type plain Link
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Link) MarshalJSON() ([]byte, error) {
	type plain Link
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Registration) UnmarshalJSON(b []byte) error {
	type plain Registration
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Registration) MarshalJSON() ([]byte, error) {
	type plain Registration
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *StatusHistory) UnmarshalJSON(b []byte) error {
	type plain StatusHistory
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v StatusHistory) MarshalJSON() ([]byte, error) {
	type plain StatusHistory
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *Contract) UnmarshalJSON(b []byte) error {
	type plain Contract
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v Contract) MarshalJSON() ([]byte, error) {
	type plain Contract
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *RegistrationSolution) UnmarshalJSON(b []byte) error {
	type plain RegistrationSolution
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v RegistrationSolution) MarshalJSON() ([]byte, error) {
	type plain RegistrationSolution
	return encodeObject(plain(v), v.Extra)
}

// UnmarshalJSON decodes the modelled members and keeps the others in Extra.
func (v *MarketplaceTransactionDetails) UnmarshalJSON(b []byte) error {
	type plain MarketplaceTransactionDetails
	extra, err := decodeObject(b, (*plain)(v))
	v.Extra = extra
	return err
}

// MarshalJSON encodes the modelled members, then those of Extra.
func (v MarketplaceTransactionDetails) MarshalJSON() ([]byte, error) {
	type plain MarketplaceTransactionDetails
	return encodeObject(plain(v), v.Extra)
}
