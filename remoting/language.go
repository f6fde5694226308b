package remoting

import "strconv"

// languageNames holds the upstream enum names, indexed by code. JSON headers
// carry the name, binary headers the code.
var languageNames = [...]string{
	LangJava:   "JAVA",
	LangCPP:    "CPP",
	LangDotNet: "DOTNET",
	LangPython: "PYTHON",
	LangDelphi: "DELPHI",
	LangErlang: "ERLANG",
	LangRuby:   "RUBY",
	LangOther:  "OTHER",
	LangHTTP:   "HTTP",
	LangGo:     "GO",
	LangPHP:    "PHP",
	LangOMS:    "OMS",
	LangRust:   "RUST",
	LangNodeJS: "NODE_JS",
}

// String returns the upstream name of the language ("JAVA", "GO", ...), or its
// decimal code when it has no name.
func (l LanguageCode) String() string {
	if int(l) < len(languageNames) {
		return languageNames[l]
	}
	return strconv.Itoa(int(l))
}

// hasName reports whether l has an upstream name.
func (l LanguageCode) hasName() bool { return int(l) < len(languageNames) }

// languageByName returns the code of an upstream language name. Unknown names
// map to LangOther: the language is informational and must not fail a frame.
func languageByName(name string) LanguageCode {
	for i, n := range languageNames {
		if n == name {
			return LanguageCode(i)
		}
	}
	return LangOther
}

// String returns the upstream name of the serialization, as JSON headers
// carry it in serializeTypeCurrentRPC.
func (t SerializeType) String() string {
	switch t {
	case SerializeJSON:
		return "JSON"
	case SerializeRocketMQ:
		return "ROCKETMQ"
	}
	return "SerializeType(" + strconv.Itoa(int(t)) + ")"
}
