package sandbox

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/refbatch/refbatch/partnercenter"
)

// Error codes of the sandbox's error bodies. The documents name no codes, so
// these are the sandbox's own; callers should branch on the HTTP status.
const (
	codeUnauthorized          = "Unauthorized"
	codeInvalidJSON           = "InvalidJson"
	codeBodyTooLarge          = "RequestEntityTooLarge"
	codeInvalidValue          = "InvalidValue"
	codeRequiredField         = "RequiredFieldMissing"
	codeInvalidTransition     = "InvalidStatusTransition"
	codeInvalidPatchOperation = "InvalidPatchOperation"
	codePathNotPatchable      = "PathNotPatchable"
	codeNotEligible           = "DealRegistrationNotEligible"
	codeInvalidQuery          = "InvalidQuery"
	codeEngagementNotFound    = "EngagementNotFound"
	codeNotFound              = "NotFound"
	codeMethodNotAllowed      = "MethodNotAllowed"
	codePreconditionFailed    = "PreconditionFailed"
	codeTooManyRequests       = "TooManyRequests"
	codeInternal              = "InternalServerError"
	codeUnavailable           = "ServiceUnavailable"
)

// apiError is an answer in the documented error envelope.
type apiError struct {
	status  int
	code    string
	message string
	target  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s (target %s)", e.status, e.code, e.message, e.target)
}

func badRequest(code, target, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, target: target, message: fmt.Sprintf(format, args...)}
}

func (e *apiError) envelope() partnercenter.ErrorEnvelope {
	return partnercenter.ErrorEnvelope{Error: partnercenter.ErrorBody{Code: e.code, Message: e.message, Target: e.target}}
}

// asPatchTarget rewrites a body-style target ("details.requirements.solutions[0].id")
// as the JSON Pointer a patch would use ("/details/requirements/solutions/0/id"),
// so that every error of a PATCH names a patch path.
func asPatchTarget(target string) string {
	if target == "" || strings.HasPrefix(target, "/") {
		return target
	}
	r := strings.NewReplacer(".", "/", "[", "/", "]", "")
	return "/" + r.Replace(target)
}

// joinTarget appends a field or index to a body-style target.
func joinTarget(parent, child string) string {
	switch {
	case parent == "":
		return child
	case strings.HasPrefix(child, "["):
		return parent + child
	default:
		return parent + "." + child
	}
}
