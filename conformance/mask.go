package conformance

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
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
	replacer *strings.Replacer // nil when there is nothing to replace
}

// Patterns of structurally known secrets. Read-only.
var (
	// A header line, "Name: value", as in dumps and transcripts.
	maskHeaderLine = regexp.MustCompile(`(?im)^([ \t>]*(?:authorization|proxy-authorization|x-csrf-token)[ \t]*:[ \t]*)(\S.*)$`)
	// Cookie and Set-Cookie header lines: keep the names, hide the values.
	maskCookieLine = regexp.MustCompile(`(?im)^([ \t>]*(?:cookie|set-cookie)[ \t]*:[ \t]*)(.*)$`)
	maskCookiePair = regexp.MustCompile(`([A-Za-z0-9_.!#$%&'*+^|~-]+)=([^;,\s]*)`)
	// Credentials inline (Go map dumps, JSON headers, curl lines): a scheme and its
	// token68 (RFC 9110 §11.2). Group 3 is what follows, to tell a challenge's parameter
	// (Basic realm="…", Bearer error=…) from a credential (maskInline).
	maskInlineAuth = regexp.MustCompile(`(?i)\b(Basic|Bearer)(\s+)([A-Za-z0-9+/._~-]{4,}=*)(\s*=)?`)
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
	return newMasker(users, secrets, nil)
}

// newMasker is NewMasker that also rewrites each key of rewrites to its value: a URL to
// its redacted form, say, where masking a part of it everywhere would hide ordinary words.
func newMasker(users []Credentials, secrets []string, rewrites map[string]string) *Masker {
	var all []string
	for _, c := range users {
		if c.Password == "" {
			continue
		}
		all = append(all, c.Password, base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Password)))
	}
	all = append(all, secrets...)
	all = slices.DeleteFunc(all, func(s string) bool { return len(s) < minSecretLen })
	to := map[string]string{}
	for _, s := range all {
		to[s] = Masked
	}
	for from, repl := range rewrites {
		if from != "" && from != repl {
			to[from] = repl
		}
	}
	if len(to) == 0 {
		return &Masker{}
	}
	// Longest first: the replacer tries its pairs in order at each position, so a secret
	// inside a longer one (a password inside a URL) does not break the longer one's match.
	keys := slices.Collect(maps.Keys(to))
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, to[k])
	}
	return &Masker{replacer: strings.NewReplacer(pairs...)}
}

// maskerFor builds the masker of a run.
func maskerFor(o *Options) *Masker {
	var users []Credentials
	for _, r := range Roles() {
		users = append(users, *o.Users.Credentials(r))
	}
	secrets, rewrites := o.hookSecrets()
	return newMasker(users, append(secrets, o.Provisioning.AdminToken), rewrites)
}

// secretHeaderName reports whether a header of that name carries a secret: its value is
// then masked wherever it appears. Other headers (X-Lab: conformance) stay readable.
func secretHeaderName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, w := range []string{"token", "key", "secret", "password", "auth", "signature", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// redactURL is raw with the password of its userinfo and every query value masked
// (https://user:***@host/path?code=***); raw itself when it does not parse.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	_, changed := u.User.Password()
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, v, ok := strings.Cut(p, "="); ok && v != "" {
				parts[i] = k + "=" + Masked
				changed = true
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if !changed {
		return raw
	}
	// Redacted writes the password as xxxxx; url.UserPassword would escape "***".
	return strings.Replace(u.Redacted(), ":xxxxx@", ":"+Masked+"@", 1)
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
	s = maskInline(s)
	s = maskSessionCookie.ReplaceAllString(s, "${1}="+Masked)
	s = maskJSONSecret.ReplaceAllString(s, `${1}"`+Masked+`"`)
	s = maskUserinfo.ReplaceAllString(s, "${1}"+Masked+"@")
	if m.replacer != nil {
		s = m.replacer.Replace(s)
	}
	return s
}

// maskInline masks the token after Basic or Bearer, but not the parameters of a
// challenge: in `Basic realm="workbinkit mock"` the word after the scheme is followed by
// "=" and a value, which a token68 never is (its "=" are padding at its very end, and
// a value cannot follow them).
func maskInline(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range maskInlineAuth.FindAllStringSubmatchIndex(s, -1) {
		end := m[1]
		if m[8] >= 0 || isAuthParam(s[m[6]:m[7]], s[m[7]:]) {
			continue // a challenge's auth-param (name=value), not a credential
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]] + " " + Masked)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// authParamName is the name of an auth-param with its "=".
var authParamName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*=$`)

// isAuthParam reports whether word (what follows the scheme, with its trailing "="s) and
// rest (what follows word) are an auth-param, name=value, rather than a token68. A
// token68 ends with its padding: nothing can follow its "=" but a delimiter, except a
// closing quote when it sits in a quoted string (JSON, Go %q). A padded base64 token is a
// multiple of 4 long; realm=, error=, scope= are not, so name="value" after a scheme is
// read as a parameter only then.
func isAuthParam(word, rest string) bool {
	rest = strings.TrimPrefix(rest, `\`) // name=\"value\" inside a quoted string
	if rest == "" || !authParamName.MatchString(word) || !isParamValueStart(rest[0]) {
		return false
	}
	return rest[0] != '"' || len(word)%4 != 0
}

// isParamValueStart reports whether c can begin an auth-param's value: a quoted string
// or a token.
func isParamValueStart(c byte) bool {
	return c == '"' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
		c == '^' || c == '`' || c == '|' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
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
