package sandbox

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/refbatch/refbatch/partnercenter"
)

// The codes of error-codes.md (Partner REST API): the top-level "code" of
// every error body is one of these, chosen by the HTTP status (see
// documentedCode). Clients should branch on the status; the code says the
// same in words.
const (
	codeInvalidRequest      = "invalidRequest"
	codeUnauthenticated     = "unauthenticated"
	codeAccessDenied        = "accessDenied"
	codeItemNotFound        = "itemNotFound"
	codePreconditionFailed  = "preconditionFailed"
	codeServiceNotAvailable = "serviceNotAvailable"
	codeGeneralException    = "generalException"
)

// The sandbox's own, more specific codes, sent as innerError.code (the
// documents allow an innerError "more specific than the top level error").
const (
	codeUnauthorized          = codeUnauthenticated
	codeInvalidJSON           = "invalidJson"
	codeBodyTooLarge          = "requestEntityTooLarge"
	codeURITooLong            = "requestUriTooLong"
	codeHeadersTooLarge       = "requestHeaderFieldsTooLarge"
	codeInvalidValue          = "invalidValue"
	codeRequiredField         = "requiredFieldMissing"
	codeInvalidTransition     = "invalidStatusTransition"
	codeInvalidPatchOperation = "invalidPatchOperation"
	codePathNotPatchable      = "pathNotPatchable"
	codeNotEligible           = "dealRegistrationNotEligible"
	codeDealRegistrationForm  = "dealRegistrationFormRule"
	codeAlreadyRegistered     = "dealAlreadyRegistered"
	codeTooManyItems          = "tooManyItems"
	codeInvalidQuery          = "invalidQuery"
	codeEngagementNotFound    = "engagementNotFound"
	codeTerminalState         = "referralInTerminalState"
	codeRegistrationLocked    = "dealRegistrationNotEditable"
	codeShareWithdrawn        = "shareWithMicrosoftCannotBeWithdrawn"
	codeNotFound              = codeItemNotFound
	codeMethodNotAllowed      = "methodNotAllowed"
	codeTooManyRequests       = "tooManyRequests"
	codeInternal              = codeGeneralException
	codeUnavailable           = codeServiceNotAvailable
)

// apiError is an answer in the documented error envelope. code is the
// specific code; the envelope's top-level code follows from status.
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

// documentedCode is error-codes.md's code for an HTTP status.
func documentedCode(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return codeUnauthenticated
	case status == http.StatusForbidden:
		return codeAccessDenied
	case status == http.StatusNotFound:
		return codeItemNotFound
	case status == http.StatusPreconditionFailed:
		return codePreconditionFailed
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return codeServiceNotAvailable
	case status >= 500:
		return codeGeneralException
	}
	return codeInvalidRequest
}

// maxMessage is the documents' limit on message ("Maximum length is 1024
// characters").
const maxMessage = 1024

func (e *apiError) envelope() partnercenter.ErrorEnvelope {
	msg := e.message
	if len(msg) > maxMessage {
		msg = msg[:maxMessage-3] + "..."
	}
	body := partnercenter.ErrorBody{Code: documentedCode(e.status), Message: msg, Target: e.target}
	if e.code != "" && e.code != body.Code {
		body.InnerError = &partnercenter.InnerError{Code: e.code, Message: msg}
	}
	return partnercenter.ErrorEnvelope{Error: body}
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
