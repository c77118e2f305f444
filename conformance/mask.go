package conformance

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Masked replaces every secret in reports, failure messages and transcripts.
const Masked = "***"

// minSecretLen is the shortest password masked wherever it appears as text: shorter ones
// would blank out ordinary words. They are still masked where they are structurally
// known (Authorization headers, password fields, Basic credentials).
const minSecretLen = 4

// Masker hides passwords, Authorization headers, session cookies and CSRF tokens in any
// text the suite writes. It is read-only after NewMasker and safe for concurrent use.
type Masker struct {
	secrets  []string // longest first
	replacer *strings.Replacer
}

// Patterns of structurally known secrets. Read-only.
var (
	// A header line, "Name: value", as in dumps and transcripts.
	maskHeaderLine = regexp.MustCompile(`(?im)^([ \t>]*(?:authorization|proxy-authorization|x-csrf-token)[ \t]*:[ \t]*)(\S.*)$`)
	// Cookie and Set-Cookie header lines: keep the names, hide the values.
	maskCookieLine = regexp.MustCompile(`(?im)^([ \t>]*(?:cookie|set-cookie)[ \t]*:[ \t]*)(.*)$`)
	maskCookiePair = regexp.MustCompile(`([A-Za-z0-9_.!#$%&'*+^|~-]+)=([^;,\s]*)`)
	// Credentials inline (Go map dumps, JSON headers, curl lines).
	maskInlineAuth = regexp.MustCompile(`(?i)\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{4,}`)
	// Session cookies anywhere.
	maskSessionCookie = regexp.MustCompile(`(?i)\b(JSESSIONID|BAYEUX_BROWSER)=([^;,\s"'\]]+)`)
	// Credential-like JSON members.
	maskJSONSecret = regexp.MustCompile(`(?i)("(?:password|passwd|secret|token|access_token|refresh_token|authorization|apikey|api_key|credentials|x-csrf-token)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// URL userinfo (https://user:pass@host).
	maskUserinfo = regexp.MustCompile(`(://[^/:@\s]+:)[^@/\s]+@`)
)

// NewMasker masks, on top of the patterns above, the given secrets wherever they appear,
// and the Basic credentials of each user:password pair.
func NewMasker(users []Credentials, secrets ...string) *Masker {
	var all []string
	for _, c := range users {
		if c.Password == "" {
			continue
		}
		all = append(all, c.Password, base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Password)))
	}
	all = append(all, secrets...)
	all = slices.DeleteFunc(all, func(s string) bool { return len(s) < minSecretLen })
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	all = slices.Compact(all)
	m := &Masker{secrets: all}
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, Masked)
	}
	m.replacer = strings.NewReplacer(pairs...)
	return m
}

// maskerFor builds the masker of a run.
func maskerFor(o *Options) *Masker {
	var users []Credentials
	for _, r := range Roles() {
		users = append(users, *o.Users.Credentials(r))
	}
	return NewMasker(users, append(o.hookSecrets(), o.Provisioning.AdminToken)...)
}

// String masks s.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	s = maskHeaderLine.ReplaceAllString(s, "${1}"+Masked)
	s = maskCookieLine.ReplaceAllStringFunc(s, func(line string) string {
		sub := maskCookieLine.FindStringSubmatch(line)
		return sub[1] + maskCookieValue(sub[1], sub[2])
	})
	s = maskInlineAuth.ReplaceAllString(s, "${1} "+Masked)
	s = maskSessionCookie.ReplaceAllString(s, "${1}="+Masked)
	s = maskJSONSecret.ReplaceAllString(s, `${1}"`+Masked+`"`)
	s = maskUserinfo.ReplaceAllString(s, "${1}"+Masked+"@")
	if m.replacer != nil && len(m.secrets) > 0 {
		s = m.replacer.Replace(s)
	}
	return s
}

// Header returns a copy of h with secret values masked: Authorization,
// Proxy-Authorization and X-CSRF-TOKEN whole, Cookie and Set-Cookie values (names kept).
func (m *Masker) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		for _, v := range vs {
			if v == "" {
				out[ck] = append(out[ck], v)
				continue
			}
			switch ck {
			case "Authorization", "Proxy-Authorization", "X-Csrf-Token":
				v = Masked
			case "Cookie", "Set-Cookie":
				v = maskCookieValue(ck, v)
			default:
				v = m.String(v)
			}
			out[ck] = append(out[ck], v)
		}
	}
	return out
}

// maskCookieValue masks every value of a Cookie header, and only the cookie's own value of
// a Set-Cookie header (its attributes, Path=/ and the like, stay readable).
func maskCookieValue(header, v string) string {
	if strings.Contains(strings.ToLower(header), "set-cookie") {
		if loc := maskCookiePair.FindStringSubmatchIndex(v); loc != nil {
			return v[:loc[4]] + Masked + v[loc[5]:]
		}
		return v
	}
	return maskCookiePair.ReplaceAllString(v, "${1}="+Masked)
}
