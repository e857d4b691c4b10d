package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// Policy defaults, used when a field is left at zero.
const (
	DefaultMinLength = 8
	DefaultMinScore  = 3
)

// Rule names carried by PolicyError. Check tests them in this order and
// reports the first that fails.
const (
	RuleEncoding  = "encoding"          // not valid UTF-8
	RuleMinLength = "min_length"        // fewer characters than MinLength
	RuleMaxLength = "max_length"        // more bytes than MaxBytes
	RuleUpper     = "complexity_upper"  // no upper-case letter
	RuleLower     = "complexity_lower"  // no lower-case letter
	RuleDigit     = "complexity_digit"  // no digit
	RuleSymbol    = "complexity_symbol" // no symbol
	RuleCommon    = "common"            // a known common password
	RuleTooWeak   = "too_weak"          // zxcvbn score below MinScore
	RuleUserInput = "user_input"        // contains the username or e-mail address
	RuleBreached  = "breached"          // in the breach corpus
)

// dictPasswords is zxcvbn's name for its common-password dictionary.
const dictPasswords = "passwords"

// BreachChecker reports whether a password appears in a corpus of breached
// passwords and how often. BreachFile implements it.
type BreachChecker interface {
	Breached(pw string) (bool, int, error)
}

var _ BreachChecker = (*BreachFile)(nil)

// Policy says which new passwords are acceptable. The zero value is a usable
// policy with the defaults below; fields only tighten it.
//
// MinLength counts characters (runes) and is never below DefaultMinLength.
// MaxBytes is never above MaxBytes (72), the bcrypt limit. MinScore is a
// zxcvbn score from 1 to 4; zero means DefaultMinScore. zxcvbn's common
// password list is always consulted: a password that is one entry of it,
// even capitalised, reversed or in l33t, fails as RuleCommon whatever its
// score. Breach, when set, is consulted last because it may read a disk.
type Policy struct {
	MinLength     int
	MaxBytes      int
	RequireUpper  bool
	RequireLower  bool
	RequireDigit  bool
	RequireSymbol bool
	MinScore      int
	Breach        BreachChecker
}

// PolicyError says which rule a password broke. Message is safe to show to
// the user; it never contains the password.
type PolicyError struct {
	Rule    string
	Message string
}

// Error returns the message.
func (e *PolicyError) Error() string {
	return "password policy: " + e.Message
}

// Check returns nil if pw is acceptable, a *PolicyError for the first rule it
// breaks (in the order of the Rule constants), or another error if the breach
// checker failed; callers must then refuse the password, not skip the check.
//
// userInputs are words the password must not lean on, such as the username
// and e-mail address. An e-mail also contributes its local part and the
// pieces of that local part split at dots, dashes, underscores and plus signs.
func (p Policy) Check(pw string, userInputs ...string) error {
	failures, err := p.check(pw, userInputs, true)
	if err != nil {
		return err
	}
	if len(failures) > 0 {
		return failures[0]
	}

	return nil
}

// Failures returns every rule pw breaks, in the order Check tests them, so a
// form can list them all at once. An error is returned only when the breach
// checker fails.
func (p Policy) Failures(pw string, userInputs ...string) ([]*PolicyError, error) {
	return p.check(pw, userInputs, false)
}

func (p Policy) check(pw string, inputs []string, first bool) ([]*PolicyError, error) {
	p = p.withDefaults()
	var out []*PolicyError
	fail := func(rule, msg string) bool {
		out = append(out, &PolicyError{Rule: rule, Message: msg})
		return first
	}

	if !utf8.ValidString(pw) {
		// Nothing else can be judged on bytes that are not text.
		fail(RuleEncoding, "password is not valid UTF-8 text")
		return out, nil
	}
	for _, r := range p.localRules(pw) {
		if fail(r.rule, r.msg) {
			return out, nil
		}
	}

	if rule, msg, bad := p.strength(pw, inputs); bad && fail(rule, msg) {
		return out, nil
	}
	if containsInput(pw, inputs) && fail(RuleUserInput,
		"password must not contain your username or e-mail address") {
		return out, nil
	}

	if p.Breach == nil {
		return out, nil
	}
	breached, _, err := p.Breach.Breached(pw)
	if err != nil {
		return nil, fmt.Errorf("check password: %w", err)
	}
	if breached {
		fail(RuleBreached, "password appears in a list of breached passwords")
	}

	return out, nil
}

func (p Policy) withDefaults() Policy {
	if p.MinLength < DefaultMinLength {
		p.MinLength = DefaultMinLength
	}
	if p.MaxBytes <= 0 || p.MaxBytes > MaxBytes {
		p.MaxBytes = MaxBytes
	}
	if p.MinScore <= 0 {
		p.MinScore = DefaultMinScore
	}
	if p.MinScore > 4 {
		p.MinScore = 4
	}

	return p
}

type failure struct{ rule, msg string }

// localRules checks length and character classes, in rule order.
func (p Policy) localRules(pw string) []failure {
	var out []failure
	if n := utf8.RuneCountInString(pw); n < p.MinLength {
		out = append(out, failure{RuleMinLength,
			fmt.Sprintf("password must be at least %d characters", p.MinLength)})
	}
	if len(pw) > p.MaxBytes {
		out = append(out, failure{RuleMaxLength,
			fmt.Sprintf("password must be at most %d bytes", p.MaxBytes)})
	}

	classes := []struct {
		need bool
		has  func(rune) bool
		rule string
		msg  string
	}{
		{p.RequireUpper, unicode.IsUpper, RuleUpper, "password needs an upper-case letter"},
		{p.RequireLower, unicode.IsLower, RuleLower, "password needs a lower-case letter"},
		{p.RequireDigit, unicode.IsDigit, RuleDigit, "password needs a digit"},
		{p.RequireSymbol, isSymbol, RuleSymbol, "password needs a symbol"},
	}
	for _, c := range classes {
		if c.need && strings.IndexFunc(pw, c.has) < 0 {
			out = append(out, failure{c.rule, c.msg})
		}
	}

	return out
}

// isSymbol counts anything printable that is neither a letter nor a digit,
// including spaces, as a symbol.
func isSymbol(r rune) bool {
	return unicode.IsPrint(r) && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// strength runs zxcvbn. A password over MaxBytes is not scored: zxcvbn's cost
// grows quickly with length and the password is refused anyway.
func (p Policy) strength(pw string, inputs []string) (rule, msg string, bad bool) {
	if len(pw) > MaxBytes {
		return "", "", false
	}

	res := zxcvbn.PasswordStrength(pw, expandInputs(inputs))
	if isCommon(pw, res.Sequence) {
		return RuleCommon, "password is a commonly used password", true
	}
	if res.Score < p.MinScore {
		return RuleTooWeak, "password is too easy to guess", true
	}

	return "", "", false
}

// isCommon reports whether zxcvbn explained the whole password as one entry
// of its common-password dictionary.
func isCommon(pw string, seq []*match.Match) bool {
	if len(seq) != 1 {
		return false
	}
	m := seq[0]

	return m.Pattern == "dictionary" && m.DictionaryName == dictPasswords &&
		len(m.Token) == len(pw)
}

// minInputLen is the shortest user input containsInput looks for; usernames are at
// least this long.
const minInputLen = 3

// containsInput reports whether pw contains, ignoring case, one of the inputs or
// the local part of an e-mail input. zxcvbn only lowers the score of such a
// password, and a long one can still pass; the name is the first word an attacker
// who targets this account tries, so it is refused outright.
func containsInput(pw string, inputs []string) bool {
	low := strings.ToLower(pw)
	for _, in := range inputs {
		in = strings.ToLower(strings.TrimSpace(in))
		local, _, _ := strings.Cut(in, "@")
		for _, word := range []string{in, local} {
			if utf8.RuneCountInString(word) >= minInputLen && strings.Contains(low, word) {
				return true
			}
		}
	}
	return false
}

// expandInputs adds the local part of each e-mail address and the pieces of
// each name, so "jane.doe@example.com" also penalises "jane.doe", "jane" and
// "doe".
func expandInputs(inputs []string) []string {
	out := make([]string, 0, len(inputs)*4)
	for _, in := range inputs {
		in = strings.TrimSpace(in)
		if in == "" {
			continue
		}
		out = append(out, in)

		name := in
		if local, _, ok := strings.Cut(in, "@"); ok && local != "" {
			out = append(out, local)
			name = local
		}
		parts := strings.FieldsFunc(name, isSeparator)
		if len(parts) > 1 {
			out = append(out, parts...)
		}
	}

	return out
}

func isSeparator(r rune) bool {
	return r == '.' || r == '-' || r == '_' || r == '+'
}
