package conformance

import (
	"html"
	"net/url"
	"regexp"
	"strings"
)

// A page's first POST form and its hidden inputs: enough to submit a
// logout confirmation (its CSRF token), not an HTML parser.
var (
	postForm    = regexp.MustCompile(`(?is)<form\b([^>]*\bmethod\s*=\s*["']?post\b[^>]*)>(.*?)</form>`)
	hiddenInput = regexp.MustCompile(`(?is)<input\b[^>]*\btype\s*=\s*["']?hidden\b[^>]*>`)
	attrAction  = regexp.MustCompile(`(?is)\baction\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	attrName    = regexp.MustCompile(`(?is)\bname\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	attrValue   = regexp.MustCompile(`(?is)\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
)

// firstPostForm returns the action (resolved against base; base itself
// when the form has none) and the hidden fields of the page's first POST
// form.
func firstPostForm(body string, base *url.URL) (string, url.Values, bool) {
	m := postForm.FindStringSubmatch(body)
	if m == nil {
		return "", nil, false
	}
	action := base.String()
	if a := attr(attrAction, m[1]); a != "" {
		action = resolve(base, a)
	}
	fields := url.Values{}
	for _, in := range hiddenInput.FindAllString(m[2], -1) {
		if name := attr(attrName, in); name != "" {
			fields.Add(name, attr(attrValue, in))
		}
	}
	return action, fields, true
}

// attr is the unescaped value of the attribute re matches in tag.
func attr(re *regexp.Regexp, tag string) string {
	m := re.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return html.UnescapeString(strings.Join(m[1:], ""))
}
