package password_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/auth/password"
)

// stubBreach reports the passwords in its set as breached 100 times.
type stubBreach struct {
	set map[string]bool
	err error
}

func (s stubBreach) Breached(pw string) (bool, int, error) {
	if s.err != nil {
		return false, 0, s.err
	}
	if s.set[pw] {
		return true, 100, nil
	}
	return false, 0, nil
}

func TestPolicyCheck(t *testing.T) {
	user := []string{"janedoe", "jane.doe@example.com"}
	breach := stubBreach{set: map[string]bool{"Gaultier!Stream7": true}}

	tests := []struct {
		name   string
		policy password.Policy
		pw     string
		inputs []string
		want   string // rule, or "" for accepted
	}{
		{name: "strong passphrase", pw: "correct horse battery staple"},
		{name: "strong mixed", pw: "Tr0ub4dor&3"},
		{name: "too short", pw: "Ab1!xyz", want: password.RuleMinLength},
		{name: "raised minimum", policy: password.Policy{MinLength: 12},
			pw: "Xk9#mQ2vLp", want: password.RuleMinLength},
		{name: "minimum never below 8", policy: password.Policy{MinLength: 4},
			pw: "Xk9#mQ2", want: password.RuleMinLength},
		{name: "length counts characters not bytes", policy: password.Policy{MinLength: 10},
			pw: "Zürich€Ω!", want: password.RuleMinLength},
		{name: "over 72 bytes", pw: strings.Repeat("Xk9#mQ2vLp", 8), want: password.RuleMaxLength},
		{name: "max bytes never above 72", policy: password.Policy{MaxBytes: 200},
			pw: strings.Repeat("Xk9#mQ2vLp", 8), want: password.RuleMaxLength},
		{name: "lower max bytes", policy: password.Policy{MaxBytes: 20},
			pw: "correct horse battery staple", want: password.RuleMaxLength},
		{name: "invalid utf-8", pw: "Xk9#mQ2v\xffLp", want: password.RuleEncoding},
		{name: "needs upper", policy: password.Policy{RequireUpper: true},
			pw: "zebra-quartz-1!", want: password.RuleUpper},
		{name: "needs lower", policy: password.Policy{RequireLower: true},
			pw: "ZEBRA-QUARTZ-1!", want: password.RuleLower},
		{name: "needs digit", policy: password.Policy{RequireDigit: true},
			pw: "Gaultier!Stream", want: password.RuleDigit},
		{name: "needs symbol", policy: password.Policy{RequireSymbol: true},
			pw: "GaultierStream7x", want: password.RuleSymbol},
		{name: "all classes present", policy: password.Policy{RequireUpper: true,
			RequireLower: true, RequireDigit: true, RequireSymbol: true},
			pw: "Gaultier!Stream7"},
		{name: "common", pw: "sunshine", want: password.RuleCommon},
		{name: "common capitalised", pw: "Password", want: password.RuleCommon},
		{name: "common in l33t", pw: "P@ssw0rd", want: password.RuleCommon},
		{name: "common reversed", pw: "drowssap", want: password.RuleCommon},
		{name: "common with digits", pw: "monkey12", want: password.RuleCommon},
		{name: "common even with low min score", policy: password.Policy{MinScore: 1},
			pw: "dragon99", want: password.RuleCommon},
		{name: "repeated", pw: "aaaaaaaa", want: password.RuleTooWeak},
		{name: "sequence", pw: "abcdefgh", want: password.RuleTooWeak},
		{name: "score 2 below default", pw: "Kx7!hPq9", want: password.RuleTooWeak},
		{name: "score 2 with min score 2", policy: password.Policy{MinScore: 2},
			pw: "Kx7!hPq9"},
		{name: "username penalised", pw: "janedoe2024", inputs: user,
			want: password.RuleTooWeak},
		{name: "email local part penalised", pw: "jane.doe.1987", inputs: user,
			want: password.RuleTooWeak},
		{name: "strong but built on the username", pw: "Janedoe-lantern-harbour-93",
			inputs: user, want: password.RuleUserInput},
		{name: "strong but built on the e-mail", pw: "x-JANE.DOE@EXAMPLE.COM-x",
			inputs: user, want: password.RuleUserInput},
		{name: "strong but built on the e-mail local part", pw: "harbour-jane.doe-lantern",
			inputs: []string{"jd", "jane.doe@example.com"}, want: password.RuleUserInput},
		{name: "short inputs ignored", pw: "correct horse battery staple",
			inputs: []string{"or", "e@example.com"}},
		{name: "breached", policy: password.Policy{Breach: breach},
			pw: "Gaultier!Stream7", want: password.RuleBreached},
		{name: "not breached", policy: password.Policy{Breach: breach},
			pw: "correct horse battery staple"},
		{name: "length before strength", pw: "qwerty", want: password.RuleMinLength},
		{name: "complexity before common", policy: password.Policy{RequireDigit: true},
			pw: "iloveyou", want: password.RuleDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.pw, tt.inputs...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}

			var pe *password.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check = %v, want *PolicyError %s", err, tt.want)
			}
			if pe.Rule != tt.want {
				t.Fatalf("rule = %s (%s), want %s", pe.Rule, pe.Message, tt.want)
			}
			if pe.Message == "" || strings.Contains(pe.Message, tt.pw) {
				t.Fatalf("message %q is empty or reveals the password", pe.Message)
			}
		})
	}
}

func TestPolicyUserInputsLowerTheScore(t *testing.T) {
	pw := "jane.doe.1987"
	if err := (password.Policy{}).Check(pw); err != nil {
		t.Fatalf("without user inputs: %v, want accepted", err)
	}
	if err := (password.Policy{}).Check(pw, "jane.doe@example.com"); err == nil {
		t.Fatal("with the e-mail as input: accepted, want too_weak")
	}
}

func TestPolicyFailures(t *testing.T) {
	p := password.Policy{RequireUpper: true, RequireDigit: true, RequireSymbol: true}

	tests := []struct {
		name string
		pw   string
		want []string
	}{
		{name: "several rules in order", pw: "abc",
			want: []string{password.RuleMinLength, password.RuleUpper,
				password.RuleDigit, password.RuleSymbol, password.RuleTooWeak}},
		{name: "common and classes", pw: "password",
			want: []string{password.RuleUpper, password.RuleDigit,
				password.RuleSymbol, password.RuleCommon}},
		{name: "none", pw: "Gaultier!Stream7", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := p.Failures(tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Rule)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("rules = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicyBreachErrorFailsClosed(t *testing.T) {
	boom := errors.New("disk gone")
	p := password.Policy{Breach: stubBreach{err: boom}}

	err := p.Check("correct horse battery staple")
	if !errors.Is(err, boom) {
		t.Fatalf("Check = %v, want the checker's error", err)
	}
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		t.Fatalf("Check = %v, want a plain error, not a policy verdict", err)
	}
}
