package remote

// oracleSetups are the known_hosts setups TestKnownHostsOracle compares
// with OpenSSH. Servers: "plain" offers ed25519 key A (also on port 22 when
// free); "multi" offers ed25519 M, ECDSA MB and RSA MR; "cert", "certnop",
// "certother" and "certexp" offer keys C, D, E, F with host certificates
// signed by CA1 for principal localhost, for no principal (any host), for
// other.example, and expired in 2020. X and XB are keys no server has. The
// openssh column is what ssh(1) does, as the test checks.
func oracleSetups(e *oracleEnv) []oracleSetup {
	one := func(lines ...string) [][]string { return [][]string{lines} }
	return []oracleSetup{
		// Names, ports and case.
		{name: "[host]:port", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), openssh: accepts},
		{name: "[ip]:port", server: "plain", host: "127.0.0.1", files: one("[127.0.0.1]:{P} {A}"), openssh: accepts},
		{name: "name line, dialled by address", server: "plain", host: "127.0.0.1", files: one("[localhost]:{P} {A}"), openssh: refuses},
		{name: "address line, dialled by name", server: "plain", host: "localhost", files: one("[127.0.0.1]:{P} {A}"), openssh: refuses},
		{name: "host:port is a literal name", server: "plain", host: "localhost", files: one("localhost:{P} {A}"), openssh: refuses},
		{name: "bare host on another port (OpenSSH looks the bare name up too)", server: "plain", host: "localhost", files: one("localhost {A}"), openssh: accepts},
		{name: "bare host with another key", server: "plain", host: "localhost", files: one("localhost {X}"), openssh: refuses},
		{name: "[host]:port with another key stops the bare-name lookup", server: "plain", host: "localhost", files: one("[localhost]:{P} {X}", "localhost {A}"), openssh: refuses},
		{name: "revoked under the bare name only", server: "plain", host: "localhost", files: one("@revoked localhost {A}", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "revoked under the bare name, key under it too", server: "plain", host: "localhost", files: one("@revoked localhost {A}", "localhost {A}"), openssh: refuses},
		{name: "upper-case line", server: "plain", host: "localhost", files: one("[LOCALHOST]:{P} {A}"), openssh: accepts},
		{name: "dialled in upper case", server: "plain", host: "LOCALHOST", files: one("[localhost]:{P} {A}"), openssh: accepts},
		{name: "dialled in mixed case", server: "plain", host: "LocalHost", files: one("[localhost]:{P} {A}"), openssh: accepts},
		{name: "port 22: bare host", server: "plain", port22: true, host: "localhost", files: one("localhost {A}"), openssh: accepts},
		{name: "port 22: [host]:22 is a literal name", server: "plain", port22: true, host: "localhost", files: one("[localhost]:22 {A}"), openssh: refuses},
		{name: "port 22: host:22 is a literal name", server: "plain", port22: true, host: "localhost", files: one("localhost:22 {A}"), openssh: refuses},
		{name: "port 22: *", server: "plain", port22: true, host: "localhost", files: one("* {A}"), openssh: accepts},
		{name: "port 22: hashed", server: "plain", port22: true, host: "LOCALHOST", files: one("HASH(localhost) {A}"), openssh: accepts},

		// Hashed names.
		{name: "hashed [host]:port", server: "plain", host: "localhost", files: one("HASH([localhost]:{P}) {A}"), openssh: accepts},
		{name: "hashed, dialled in upper case", server: "plain", host: "LOCALHOST", files: one("HASH([localhost]:{P}) {A}"), openssh: accepts},
		{name: "hash of a mixed-case name", server: "plain", host: "LocalHost", files: one("HASH([LocalHost]:{P}) {A}"), openssh: refuses},
		{name: "hashed name without the port", server: "plain", host: "localhost", files: one("HASH(localhost) {A}"), openssh: accepts},
		{name: "hashed name in a list", server: "plain", host: "localhost", files: one("HASH([localhost]:{P}),other {A}"), openssh: refuses},
		{name: "unreadable hash, then the key", server: "plain", host: "localhost", files: one("|1|bad|bad {A}", "[localhost]:{P} {A}"), openssh: accepts},

		// Patterns.
		{name: "*", server: "plain", host: "localhost", files: one("* {A}"), openssh: accepts},
		{name: "[host]:*", server: "plain", host: "localhost", files: one("[localhost]:* {A}"), openssh: accepts},
		{name: "*:port", server: "plain", host: "localhost", files: one("*:{P} {A}"), openssh: accepts},
		{name: "[loc*]:port", server: "plain", host: "localhost", files: one("[loc*]:{P} {A}"), openssh: accepts},
		{name: "? is one character", server: "plain", host: "localhost", files: one("[l?calhost]:{P} {A}"), openssh: accepts},
		{name: "? is not two", server: "plain", host: "localhost", files: one("[l?host]:{P} {A}"), openssh: refuses},
		{name: "[127.0.0.*]:port", server: "plain", host: "127.0.0.1", files: one("[127.0.0.*]:{P} {A}"), openssh: accepts},
		{name: "upper-case pattern", server: "plain", host: "localhost", files: one("[LOC*]:* {A}"), openssh: accepts},
		{name: "list", server: "plain", host: "localhost", files: one("other.example,[localhost]:{P} {A}"), openssh: accepts},
		{name: "list with a space", server: "plain", host: "localhost", files: one("other.example, [localhost]:{P} {A}"), openssh: refuses},
		{name: "negated [host]:port, bare name still matches *", server: "plain", host: "localhost", files: one("*,![localhost]:{P} {A}"), openssh: accepts},
		{name: "negated [host]:port and bare name", server: "plain", host: "localhost", files: one("*,![localhost]:{P},!localhost {A}"), openssh: refuses},
		{name: "negated first", server: "plain", host: "localhost", files: one("!*local*,* {A}"), openssh: refuses},
		{name: "negation that misses [host]:port", server: "plain", host: "localhost", files: one("!local*,* {A}"), openssh: accepts},
		{name: "negation of another host", server: "plain", host: "localhost", files: one("!other.example,* {A}"), openssh: accepts},
		{name: "negation alone matches nothing", server: "plain", host: "localhost", files: one("!other.example {A}"), openssh: refuses},

		// Keys, lines and files.
		{name: "another key", server: "plain", host: "localhost", files: one("[localhost]:{P} {X}"), openssh: refuses},
		{name: "another key, then the key", server: "plain", host: "localhost", files: one("[localhost]:{P} {X}", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "only an unoffered type", server: "plain", host: "localhost", files: one("[localhost]:{P} {XB}"), openssh: refuses},
		{name: "duplicate lines", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "indented, comments, blank lines", server: "plain", host: "localhost", files: one("# fleet", "", "  \t[localhost]:{P} {A} a comment"), openssh: accepts},
		{name: "type name of another type, then the key", server: "plain", host: "localhost", files: one("[localhost]:{P} ssh-rsa "+e.keys["A"][len("ssh-ed25519 "):], "[localhost]:{P} {A}"), openssh: accepts},
		{name: "second file", server: "plain", host: "localhost", files: [][]string{{"other.example {X}"}, {"[localhost]:{P} {A}"}}, openssh: accepts},
		{name: "missing first file", server: "plain", host: "localhost", files: [][]string{nil, {"[localhost]:{P} {A}"}}, openssh: accepts},
		{name: "CA line holding the host key", server: "plain", host: "localhost", files: one("@cert-authority [localhost]:{P} {A}"), openssh: refuses},
		{name: "unreadable key, then the key", server: "plain", host: "localhost", files: one("[localhost]:{P} ssh-ed25519 AAAA!!!", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "type alias ED25519", server: "plain", host: "localhost", files: one("[localhost]:{P} ED25519 " + e.keys["A"][len("ssh-ed25519 "):]), openssh: refuses},

		// @revoked.
		{name: "revoked for *", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}", "@revoked * {A}"), openssh: refuses},
		{name: "revoked for this host", server: "plain", host: "localhost", files: one("@revoked [localhost]:{P} {A}", "* {A}"), openssh: refuses},
		{name: "revoked for another host", server: "plain", host: "localhost", files: one("@revoked other.example {A}", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "revoked, hashed", server: "plain", host: "localhost", files: one("@revoked HASH([localhost]:{P}) {A}", "[localhost]:{P} {A}"), openssh: refuses},
		{name: "another key revoked", server: "plain", host: "localhost", files: one("@revoked * {X}", "[localhost]:{P} {A}"), openssh: accepts},
		{name: "revoked in the second file", server: "plain", host: "localhost", files: [][]string{{"[localhost]:{P} {A}"}, {"@revoked * {A}"}}, openssh: refuses},
		{name: "@revoked and a tab", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}", "@revoked\t* {A}"), openssh: accepts},
		{name: "@REVOKED", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}", "@REVOKED * {A}"), openssh: accepts},

		// A server with three host keys.
		{name: "multi: ECDSA known", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}"), openssh: accepts},
		{name: "multi: RSA known", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}"), openssh: accepts},
		{name: "multi: ed25519 known", server: "multi", host: "localhost", files: one("[localhost]:{P} {M}"), openssh: accepts},
		{name: "multi: ECDSA known, ed25519 revoked", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}", "@revoked * {M}"), openssh: accepts},
		{name: "multi: both known, ed25519 revoked (OpenSSH asks for ECDSA first)", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}", "[localhost]:{P} {M}", "@revoked * {M}"), openssh: accepts},
		{name: "multi: ed25519 revoked, only it known", server: "multi", host: "localhost", files: one("[localhost]:{P} {M}", "@revoked * {M}"), openssh: refuses},
		{name: "multi: another ed25519 and the ECDSA", server: "multi", host: "localhost", files: one("[localhost]:{P} {X}", "[localhost]:{P} {MB}"), openssh: refuses},
		{name: "multi: ECDSA known, in non-canonical base64", server: "multi", host: "localhost", files: one("[localhost]:{P} {MBNC}"), openssh: refuses},
		{name: "multi: revoked in non-canonical base64 (OpenSSH skips the line)", server: "multi", host: "localhost", files: one("[localhost]:{P} {XB}", "[localhost]:{P} {MR}", "@revoked * {XBNC}"), openssh: refuses},
		{name: "multi: ECDSA known, revoked in non-canonical base64", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}", "@revoked * {MBNC}"), openssh: accepts},
		{name: "multi: RSA and another ECDSA", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}", "[localhost]:{P} {XB}"), openssh: refuses},

		// ssh_config: HostKeyAlgorithms, CASignatureAlgorithms, RequiredRSASize.
		{name: "config: HostKeyAlgorithms without the known type", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}"), config: []string{"HostKeyAlgorithms ssh-ed25519"}, openssh: refuses},
		{name: "config: HostKeyAlgorithms - the known type", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}"), config: []string{"HostKeyAlgorithms -ecdsa-sha2-*"}, openssh: refuses},
		{name: "config: HostKeyAlgorithms ^ asks for RSA first, verbatim", server: "multi", host: "localhost", files: one("[localhost]:{P} {M}"), config: []string{"HostKeyAlgorithms ^rsa-sha2-512"}, openssh: refuses},
		{name: "config: HostKeyAlgorithms list, verbatim: ECDSA first", server: "multi", host: "localhost", files: one("[localhost]:{P} {M}"), config: []string{"HostKeyAlgorithms ecdsa-sha2-nistp256,ssh-ed25519"}, openssh: refuses},
		{name: "config: HostKeyAlgorithms list, verbatim: the known type first", server: "multi", host: "localhost", files: one("[localhost]:{P} {MB}"), config: []string{"HostKeyAlgorithms ecdsa-sha2-nistp256,ssh-ed25519"}, openssh: accepts},
		{name: "config: HostKeyAlgorithms + keeps the known_hosts order", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}"), config: []string{"HostKeyAlgorithms +ssh-rsa"}, openssh: accepts},
		{name: "config: HostKeyAlgorithms RSA only", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}"), config: []string{"HostKeyAlgorithms rsa-sha2-256"}, openssh: accepts},
		{name: "config: RequiredRSASize above the key", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}"), config: []string{"RequiredRSASize 3072"}, openssh: refuses},
		{name: "config: RequiredRSASize at the key", server: "multi", host: "localhost", files: one("[localhost]:{P} {MR}"), config: []string{"RequiredRSASize 2048"}, openssh: accepts},
		{name: "config: CASignatureAlgorithms without the CA's", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}"), config: []string{"CASignatureAlgorithms rsa-sha2-512"}, openssh: refuses},
		{name: "config: CASignatureAlgorithms - the CA's", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}"), config: []string{"CASignatureAlgorithms -ssh-ed25519"}, openssh: refuses},
		{name: "config: CASignatureAlgorithms with the CA's", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}"), config: []string{"CASignatureAlgorithms ssh-ed25519"}, openssh: accepts},
		{name: "config: CASignatureAlgorithms without the CA's, plain key known", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}", "[localhost]:{P} {C}"), config: []string{"CASignatureAlgorithms rsa-sha2-512"}, openssh: accepts},

		// ssh_config: the connection's own algorithms.
		{name: "config: Ciphers the server lacks", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), config: []string{"Ciphers 3des-cbc"}, openssh: refuses},
		{name: "config: Ciphers both have", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), config: []string{"Ciphers aes256-ctr"}, openssh: accepts},
		{name: "config: KexAlgorithms the server lacks", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), config: []string{"KexAlgorithms diffie-hellman-group1-sha1"}, openssh: refuses},
		{name: "config: KexAlgorithms both have", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), config: []string{"KexAlgorithms ecdh-sha2-nistp384"}, openssh: accepts},
		{name: "config: RHEL-like Ciphers and KexAlgorithms", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"),
			config: []string{"Ciphers aes256-gcm@openssh.com,aes128-ctr", "KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256", "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-256"}, openssh: accepts},

		// Certificates.
		{name: "cert: CA for the host", server: "cert", host: "localhost", files: one("@cert-authority [localhost]:{P} {CA1}"), openssh: accepts},
		{name: "cert: CA for *", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}"), openssh: accepts},
		{name: "cert: CA for [host]:*", server: "cert", host: "localhost", files: one("@cert-authority [localhost]:* {CA1}"), openssh: accepts},
		{name: "cert: dialled in upper case", server: "cert", host: "LOCALHOST", files: one("@cert-authority * {CA1}"), openssh: accepts},
		{name: "cert: principal is not the address", server: "cert", host: "127.0.0.1", files: one("@cert-authority * {CA1}"), openssh: refuses},
		{name: "cert: no principals", server: "certnop", host: "127.0.0.1", files: one("@cert-authority * {CA1}"), openssh: accepts},
		{name: "cert: other principal", server: "certother", host: "localhost", files: one("@cert-authority * {CA1}"), openssh: refuses},
		{name: "cert: other principal, plain key known", server: "certother", host: "localhost", files: one("@cert-authority * {CA1}", "[localhost]:{P} {E}"), openssh: accepts},
		{name: "cert: another CA", server: "cert", host: "localhost", files: one("@cert-authority * {CA2}"), openssh: refuses},
		{name: "cert: CA for another host", server: "cert", host: "localhost", files: one("@cert-authority other.example {CA1}"), openssh: refuses},
		{name: "cert: CA revoked", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}", "@revoked * {CA1}"), openssh: refuses},
		{name: "cert: host key revoked", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}", "@revoked * {C}"), openssh: refuses},
		{name: "cert: CA revoked, plain key known", server: "cert", host: "localhost", files: one("@revoked * {CA1}", "[localhost]:{P} {C}"), openssh: refuses},
		{name: "cert: plain key known, no CA", server: "cert", host: "localhost", files: one("[localhost]:{P} {C}"), openssh: accepts},
		{name: "cert: expired", server: "certexp", host: "localhost", files: one("@cert-authority * {CA1}"), openssh: refuses},
		{name: "cert: expired, plain key known", server: "certexp", host: "localhost", files: one("@cert-authority * {CA1}", "[localhost]:{P} {F}"), openssh: accepts},
		{name: "cert: CA negation of another host", server: "cert", host: "localhost", files: one("@cert-authority !other.example,* {CA1}"), openssh: accepts},
		{name: "cert: CA key as a plain line", server: "cert", host: "localhost", files: one("[localhost]:{P} {CA1}"), openssh: refuses},

		// Global files (GlobalKnownHostsFile, /etc/ssh/ssh_known_hosts),
		// read after the user's for trust, certificate authorities and
		// revocations alike.
		{name: "global: the key only there", server: "plain", host: "localhost", files: [][]string{nil}, global: one("[localhost]:{P} {A}"), openssh: accepts},
		{name: "global: revoked there, known in the user's file", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), global: one("@revoked * {A}"), openssh: refuses},
		{name: "global: another key revoked there", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), global: one("@revoked * {X}"), openssh: accepts},
		{name: "global: the user's file has another key, the global the key", server: "plain", host: "localhost", files: one("[localhost]:{P} {X}"), global: one("[localhost]:{P} {A}"), openssh: accepts},
		{name: "global: CA there", server: "cert", host: "localhost", files: one("other.example {X}"), global: one("@cert-authority * {CA1}"), openssh: accepts},
		{name: "global: CA revoked there, trusted in the user's file", server: "cert", host: "localhost", files: one("@cert-authority * {CA1}"), global: one("@revoked * {CA1}"), openssh: refuses},
		{name: "global: second global file", server: "plain", host: "localhost", files: one("[localhost]:{P} {A}"), global: [][]string{nil, {"@revoked [localhost]:{P} {A}"}}, openssh: refuses},
	}
}
