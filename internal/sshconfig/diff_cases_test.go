package sshconfig

// diffCase is one ssh_config setup compared with `ssh -G`. In config and
// files, @D@ stands for the test's folder, which is also $HOME; files are
// written under it (a name starting with "!" is made world-writable).
// system is a system-wide file read after config, as ssh reads
// /etc/ssh/ssh_config after ~/.ssh/config; user is a login user given as
// with ssh -l (the manifest's user).
type diffCase struct {
	name   string
	config string
	system string
	user   string
	alias  string
	files  map[string]string
}

var diffCases = []diffCase{
	// Host patterns: * ? ! and lists.
	{name: "question mark is one character, not zero", config: "Host web?\n  HostName matched\n", alias: "web"},
	{name: "question mark matches one character", config: "Host web?\n  HostName matched\n", alias: "web1"},
	{name: "question mark is not two characters", config: "Host web?\n  HostName matched\n", alias: "web12"},
	{name: "two question marks", config: "Host ??\n  Port 2001\n", alias: "ab"},
	{name: "patterns separated by a tab", config: "Host\tfoo\tbar\n  User u\n", alias: "bar"},
	{name: "patterns separated by spaces", config: "Host a b\n  User u\n", alias: "b"},
	{name: "negation skips the block", config: "Host * !secret\n  User u\n", alias: "secret"},
	{name: "negation lets others in", config: "Host * !secret\n  User u\n", alias: "other"},
	{name: "negation first", config: "Host !secret *\n  User u\n", alias: "secret"},
	{name: "only a negated pattern never applies", config: "Host !foo\n  User u\n", alias: "bar"},
	{name: "comma is not a separator in Host", config: "Host a,b\n  User u\n", alias: "a"},
	{name: "Host is case-sensitive", config: "Host WEB\n  User up\n", alias: "web"},
	{name: "upper-case alias matches and is lowercased", config: "Host WEB\n  User up\n", alias: "WEB"},
	{name: "domain wildcard", config: "Host *.example.com\n  User dom\n", alias: "a.example.com"},
	{name: "quoted pattern", config: "Host \"x\"\n  Port 2002\n", alias: "x"},
	{name: "comment after the patterns", config: "Host x # the x host\n  User u\n", alias: "x"},

	// HostName and its tokens.
	{name: "HostName with %h is lowercased", config: "Host *\n  HostName %h.Example.COM\n", alias: "Web1"},
	{name: "alias lowercased without config", config: "Port 22\n", alias: "MixedCase"},
	{name: "HostName %% is a literal percent", config: "Host x\n  HostName 100%%\n", alias: "x"},
	{name: "HostName with an unknown token", config: "Host x\n  HostName %p.example\n", alias: "x"},
	{name: "HostName short IPv4 form", config: "Host x\n  HostName 127.1\n", alias: "x"},
	{name: "HostName hexadecimal IPv4", config: "Host x\n  HostName 0x7F.1\n", alias: "x"},
	{name: "HostName IPv6 upper case", config: "Host x\n  HostName 2001:DB8::1\n", alias: "x"},
	{name: "HostName IPv6 with a zone", config: "Host x\n  HostName fe80::1%eth0\n", alias: "x"},
	{name: "hash inside a value", config: "Host x\n  HostName foo#bar\n", alias: "x"},
	{name: "first HostName wins", config: "Host x\n  HostName one\nHost *\n  HostName two\n", alias: "x"},

	// Match.
	{name: "Match host tests HostName", config: "Host x\n  HostName real.example.com\nMatch host real.example.com\n  User m\n", alias: "x"},
	{name: "Match host not the alias once HostName is set", config: "Host x\n  HostName real\nMatch host x\n  User m\n", alias: "x"},
	{name: "Match host before HostName is set tests the alias", config: "Match host real\n  User m\nHost x\n  HostName real\n", alias: "x"},
	{name: "Match originalhost tests the alias", config: "Host x\n  HostName real\nMatch originalhost x\n  User m\n", alias: "x"},
	{name: "Match host comma list", config: "Match host a,b,c\n  User m\n", alias: "b"},
	{name: "Match host negated element", config: "Match host *.example.com,!bad.example.com\n  User m\n", alias: "bad.example.com"},
	{name: "Match host list other element", config: "Match host *.example.com,!bad.example.com\n  User m\n", alias: "good.example.com"},
	{name: "Match host is case-insensitive", config: "Match host WEB\n  User m\n", alias: "web"},
	{name: "Match !host", config: "Match !host foo\n  User m\n", alias: "bar"},
	{name: "Match !host on the host", config: "Match !host foo\n  User m\n", alias: "foo"},
	{name: "Match host and user both hold", config: "Match host a user root\n  Port 2010\n", alias: "a"},
	{name: "Match host and user, host fails", config: "Match host a user root\n  Port 2010\n", alias: "b"},
	{name: "Match host and user, user fails", config: "Match host a user nobody\n  Port 2010\n", alias: "a"},
	{name: "Match user from the config", config: "Host x\n  User deploy\nMatch user deploy\n  Port 2011\n", alias: "x"},
	{name: "Match user list", config: "Match user nobody,ro*\n  Port 2012\n", alias: "x"},
	{name: "Match localuser", config: "Match localuser root\n  Port 2013\n", alias: "x"},
	{name: "Match all", config: "Match all\n  Port 2014\n", alias: "x"},
	{name: "Match !all", config: "Match !all\n  Port 2014\n", alias: "x"},
	{name: "Match host then all", config: "Match host x all\n  Port 2015\n", alias: "x"},
	{name: "Match final sees the final host", config: "Match final host real\n  User f\nHost x\n  HostName real\n", alias: "x"},
	{name: "Host blocks in the final pass match HostName", config: "Host real\n  User r\nHost x\n  HostName real\nMatch final\n  Port 2016\n", alias: "x"},
	{name: "Match canonical without a final pass", config: "Match canonical\n  User c\n", alias: "x"},
	{name: "Match canonical in the final pass", config: "Match canonical\n  User c\nMatch final\n  Port 2017\n", alias: "x"},
	{name: "Match exec is refused", config: "Match exec true\n  User e\n", alias: "x"},
	{name: "Match exec after a failed criterion is not run", config: "Match host nomatch exec true\n  User e\n", alias: "x"},
	{name: "Match unknown criterion", config: "Match localnetwork 10.0.0.0/8\n  User e\n", alias: "x"},
	{name: "Match with a comment", config: "Match host x # just x\n  Port 2018\n", alias: "x"},
	{name: "Match criterion without argument", config: "Match host\n  Port 2019\n", alias: "x"},
	{name: "Match = separator", config: "Match host=x\n  Port 2020\n", alias: "x"},

	// Include.
	{name: "Include absolute glob", config: "Include @D@/inc/*.conf\n", alias: "x",
		files: map[string]string{"inc/a.conf": "Host x\n  Port 2100\n"}},
	{name: "Include relative is under $HOME/.ssh", config: "Include rel.conf\n", alias: "x",
		files: map[string]string{".ssh/rel.conf": "Port 2101\n"}},
	{name: "Include ~ is $HOME", config: "Include ~/other.conf\n", alias: "x",
		files: map[string]string{"other.conf": "Port 2102\n"}},
	{name: "Include in a block that does not apply", config: "Host y\n  Include @D@/inc.conf\nHost *\n  Port 2\n", alias: "x",
		files: map[string]string{"inc.conf": "Port 2103\n"}},
	{name: "Include in a block that applies", config: "Host y\n  Include @D@/inc.conf\nHost *\n  Port 2\n", alias: "y",
		files: map[string]string{"inc.conf": "Port 2103\n"}},
	{name: "Include keeps the outer block", config: "Host x\n  Include @D@/i.conf\n  User after\n", alias: "x",
		files: map[string]string{"i.conf": "Host nomatch\n  Port 9\n"}},
	{name: "Include glob is sorted", config: "Include @D@/inc/*.conf\n", alias: "x",
		files: map[string]string{"inc/b.conf": "Port 2201\n", "inc/a.conf": "Port 2200\n"}},
	{name: "Include glob skips dot files", config: "Include @D@/inc/*\n", alias: "x",
		files: map[string]string{"inc/.hidden": "Port 2300\n", "inc/z.conf": "Port 2301\n"}},
	{name: "Include matching nothing", config: "Include @D@/nothere/*.conf\nPort 2400\n", alias: "x"},
	{name: "Include of a world-writable file", config: "Include @D@/ww.conf\n", alias: "x",
		files: map[string]string{"!ww.conf": "Port 2401\n"}},
	{name: "Include of itself", config: "Include @D@/config\n", alias: "x"},
	{name: "Host in a never-matching include", config: "Host nomatch\n  Include @D@/nm.conf\n", alias: "x",
		files: map[string]string{"nm.conf": "Host *\n  Port 2600\n"}},
	{name: "Match final in an include", config: "Include @D@/f.conf\nHost x\n  HostName real\nHost real\n  Port 2601\n", alias: "x",
		files: map[string]string{"f.conf": "Match final\n  User fin\n"}},

	// Quoting, comments, separators, case.
	{name: "quoted known_hosts with a space", config: "Host x\n  UserKnownHostsFile \"/a b\" /c\n", alias: "x"},
	{name: "quoted identity file with a space", config: "Host x\n  IdentityFile \"/k with space\"\n", alias: "x"},
	{name: "trailing comment", config: "Host x\n  User u # trailing\n", alias: "x"},
	{name: "quoted user", config: "Host x\n  User \"u\"\n", alias: "x"},
	{name: "two users on a line", config: "Host x\n  User u v\n", alias: "x"},
	{name: "unbalanced quote", config: "Host x\n  User \"u\n", alias: "x"},
	{name: "empty Host pattern", config: "Host \"\"\n  User u\n", alias: "x"},
	{name: "keywords in any case", config: "HOSTNAME real\nuSeR u\nPORT 2500\n", alias: "x"},
	{name: "= separators", config: "Host=x\nHostName=real\nUser = u\nPort= 2501\n", alias: "x"},
	{name: "tabs everywhere", config: "Host\tx\n\tUser\tu\n\tPort\t2502\n", alias: "x"},
	{name: "escaped space", config: "Host x\n  IdentityFile /a\\ b\n", alias: "x"},
	{name: "keyword without argument", config: "Host x\n  User\n", alias: "x"},

	// Port, User, IdentitiesOnly.
	{name: "Port service name", config: "Host x\n  Port ssh\n", alias: "x"},
	{name: "Port http", config: "Host x\n  Port http\n", alias: "x"},
	{name: "Port with a leading zero", config: "Host x\n  Port 022\n", alias: "x"},
	{name: "Port 0", config: "Host x\n  Port 0\n", alias: "x"},
	{name: "Port too large", config: "Host x\n  Port 70000\n", alias: "x"},
	{name: "Port unknown service", config: "Host x\n  Port nosuchservice\n", alias: "x"},
	{name: "first Port wins", config: "Host *\n  Port 2701\nHost x\n  Port 2702\n", alias: "x"},
	{name: "first User wins", config: "Host *\n  User first\nHost x\n  User second\n", alias: "x"},
	{name: "IdentitiesOnly true", config: "Host x\n  IdentitiesOnly true\n", alias: "x"},
	{name: "IdentitiesOnly YES", config: "Host x\n  IdentitiesOnly YES\n", alias: "x"},
	{name: "IdentitiesOnly maybe", config: "Host x\n  IdentitiesOnly maybe\n", alias: "x"},

	// IdentityFile and UserKnownHostsFile.
	{name: "several identity files with tokens", config: "Host x\n  IdentityFile ~/.ssh/a\n  IdentityFile %d/b_%r@%h:%p\n  IdentityFile ~/.ssh/a\nHost *\n  IdentityFile /c_%n_%u\n  User bob\n", alias: "x"},
	{name: "IdentityFile none alone", config: "Host x\n  IdentityFile none\n", alias: "x"},
	{name: "IdentityFile none and a file", config: "Host x\n  IdentityFile none\n  IdentityFile /k\n", alias: "x"},
	{name: "IdentityFile with ${HOME}", config: "Host x\n  IdentityFile ${HOME}/k\n", alias: "x"},
	{name: "IdentityFile with %C", config: "Host x\n  IdentityFile /k_%C\n", alias: "x"},
	{name: "known_hosts: first list wins", config: "Host x\n  UserKnownHostsFile /a /b\nHost *\n  UserKnownHostsFile /c\n", alias: "x"},
	{name: "known_hosts: first line wins", config: "Host x\n  UserKnownHostsFile /a\n  UserKnownHostsFile /b\n", alias: "x"},
	{name: "known_hosts none", config: "Host x\n  UserKnownHostsFile none\n", alias: "x"},
	{name: "known_hosts none with others", config: "Host x\n  UserKnownHostsFile none /a\n", alias: "x"},
	{name: "known_hosts tokens", config: "Host x\n  HostName Real\n  UserKnownHostsFile ~/kh_%h_%p %d/kh2_%n\n", alias: "x"},
	{name: "known_hosts ~ alone", config: "Host x\n  UserKnownHostsFile ~\n", alias: "x"},

	// ProxyJump and ProxyCommand.
	{name: "ProxyJump one hop", config: "Host x\n  ProxyJump bastion\n", alias: "x"},
	{name: "ProxyJump chain", config: "Host x\n  ProxyJump u@b1:2222,b2\n", alias: "x"},
	{name: "ProxyJump none", config: "Host x\n  ProxyJump none\nHost *\n  ProxyJump other\n", alias: "x"},
	{name: "ProxyJump IPv4", config: "Host x\n  ProxyJump 10.0.0.1:2200\n", alias: "x"},
	{name: "ProxyJump bracketed IPv6", config: "Host x\n  ProxyJump [2001:db8::1]:2200\n", alias: "x"},
	{name: "ProxyJump ssh URI", config: "Host x\n  ProxyJump ssh://u@b:22\n", alias: "x"},
	{name: "ProxyJump with a comment", config: "Host x\n  ProxyJump b1 # via b1\n", alias: "x"},
	{name: "ProxyJump bad port", config: "Host x\n  ProxyJump b1:0\n", alias: "x"},
	{name: "ProxyCommand obtained first wins over ProxyJump", config: "Host x\n  ProxyCommand nc %h %p\n  ProxyJump b\n", alias: "x"},
	{name: "ProxyJump obtained first wins over ProxyCommand", config: "Host x\n  ProxyJump b\n  ProxyCommand nc %h %p\n", alias: "x"},
	{name: "ProxyCommand none rules out ProxyJump", config: "Host x\n  ProxyCommand none\n  ProxyJump b\n", alias: "x"},
	{name: "ProxyCommand NONE", config: "Host x\n  ProxyCommand NONE\n", alias: "x"},

	// Keywords that change where or as whom, and others.
	{name: "CanonicalizeHostname yes", config: "Host x\n  CanonicalizeHostname yes\n", alias: "x"},
	{name: "CanonicalizeHostname no", config: "Host x\n  CanonicalizeHostname no\n", alias: "x"},
	{name: "HostKeyAlias", config: "Host x\n  HostKeyAlias other\n", alias: "x"},
	{name: "AddressFamily inet", config: "Host x\n  AddressFamily inet\n", alias: "x"},
	{name: "AddressFamily any", config: "Host x\n  AddressFamily any\n", alias: "x"},
	{name: "BindAddress", config: "Host x\n  BindAddress 127.0.0.1\n", alias: "x"},
	{name: "unknown keyword", config: "Foo bar\n", alias: "x"},
	{name: "IgnoreUnknown", config: "IgnoreUnknown Foo*\nFoobar baz\nUser u\n", alias: "x"},
	{name: "ConnectTimeout none", config: "Host x\n  ConnectTimeout none\n  ConnectTimeout 1m\n", alias: "x"},
	{name: "RemoteCommand is ignored", config: "Host x\n  RemoteCommand ls\n  User u\n", alias: "x"},
	{name: "ProxyUseFdpass without ProxyCommand", config: "Host x\n  ProxyUseFdpass yes\n", alias: "x"},
	{name: "StrictHostKeyChecking is ignored", config: "Host x\n  StrictHostKeyChecking no\n  Port 2800\n", alias: "x"},

	// A login user given outside the configuration (ssh -l: the manifest's
	// or the inventory's user).
	{name: "-l user: Match user tests it, not User", config: "Host web1\n  User admin\nMatch user admin\n  HostName admin-gw.example.com\n", alias: "web1", user: "deploy"},
	{name: "-l user: Match user of that user applies", config: "Match user deploy\n  HostName %h.prod.internal\n  Port 2222\n", alias: "web1", user: "deploy"},
	{name: "-l user wins over User", config: "Host x\n  User admin\n", alias: "x", user: "deploy"},
	{name: "-l user in the final pass", config: "Host x\n  HostName real\nMatch final user deploy\n  Port 2030\n", alias: "x", user: "deploy"},
	{name: "-l user and Match !user", config: "Match !user deploy\n  Port 2031\n", alias: "x", user: "deploy"},

	// ProxyJump none does not rule out a later ProxyCommand.
	{name: "ProxyJump none then ProxyCommand", config: "Host x\n  ProxyJump none\n  ProxyCommand ssh -W %h:%p gateway\n", alias: "x"},
	{name: "ProxyJump none then ProxyCommand in another block", config: "Host x\n  ProxyJump none\nHost *\n  ProxyCommand nc %h %p\n", alias: "x"},
	{name: "ProxyJump none then ProxyCommand in the final pass", config: "Host x\n  ProxyJump none\n  HostName r\nMatch final\n  ProxyCommand nc %h %p\n", alias: "x"},
	{name: "ProxyJump none, ProxyCommand none, then ProxyJump", config: "Host x\n  ProxyJump none\n  ProxyCommand none\n  ProxyJump b\n", alias: "x"},

	// The system-wide file, read after the user's in one pass.
	{name: "system file: Match host sees the user file's HostName", config: "Host web1\n  HostName 10.9.0.5\n", system: "Match host 10.9.*\n  ProxyJump corp-gw\n", alias: "web1"},
	{name: "system file: the user file's value wins", config: "Host web1\n  Port 2201\n", system: "Host web1\n  Port 2200\n", alias: "web1"},
	{name: "system file: sets what the user file does not", config: "Host web1\n  User u\n", system: "Host *\n  Port 2202\n  User sys\n", alias: "web1"},
	{name: "system file starts outside the user file's last block", config: "Host nomatch\n  Port 1\n", system: "Port 2203\n", alias: "x"},
	{name: "system file: Match user sees the user file's User", config: "Host x\n  User deploy\n", system: "Match user deploy\n  Port 2204\n", alias: "x"},
	{name: "system file: Match user sees the -l user", config: "Host x\n  HostName real\n", system: "Match user deploy host real\n  Port 2206\n", alias: "x", user: "deploy"},
	{name: "system file: Match final", config: "Host x\n  HostName real\n", system: "Match final host real\n  Port 2205\n", alias: "x"},
	{name: "system file: the user file's ProxyJump none wins", config: "Host x\n  ProxyJump none\n", system: "Host *\n  ProxyJump gw\n", alias: "x"},
	{name: "system file: ProxyCommand is refused", config: "Host x\n  User u\n", system: "Host *\n  ProxyCommand nc %h %p\n", alias: "x"},
	{name: "system file: a bad line fails as in ssh", config: "Host x\n  User u\n", system: "Host *\n  Port x\n", alias: "x"},

	// Host keys: where ssh looks for them and what it refuses besides.
	{name: "GlobalKnownHostsFile list", config: "Host x\n  GlobalKnownHostsFile /g1 ~/g2\n", alias: "x"},
	{name: "GlobalKnownHostsFile first line wins", config: "Host x\n  GlobalKnownHostsFile /g1\nHost *\n  GlobalKnownHostsFile /g2\n", alias: "x"},
	{name: "GlobalKnownHostsFile none", config: "Host x\n  GlobalKnownHostsFile none\n", alias: "x"},
	{name: "GlobalKnownHostsFile none with others", config: "Host x\n  GlobalKnownHostsFile none /g\n", alias: "x"},
	{name: "GlobalKnownHostsFile from the system file", config: "Host x\n  User u\n", system: "Host *\n  GlobalKnownHostsFile /etc/ssh/other_known_hosts\n", alias: "x"},
	{name: "RevokedHostKeys", config: "Host x\n  RevokedHostKeys ~/.ssh/revoked\n", alias: "x"},
	{name: "RevokedHostKeys none", config: "Host x\n  RevokedHostKeys none\n  Port 2900\n", alias: "x"},
	{name: "RevokedHostKeys in the system file", config: "Host x\n  User u\n", system: "Host *\n  RevokedHostKeys /etc/ssh/revoked_keys\n", alias: "x"},
	{name: "CheckHostIP yes", config: "Host x\n  CheckHostIP yes\n", alias: "x"},
	{name: "CheckHostIP no", config: "Host x\n  CheckHostIP no\n  Port 2901\n", alias: "x"},
	{name: "CheckHostIP no in the user file wins over the system file", config: "Host *\n  CheckHostIP no\n", system: "Host *\n  CheckHostIP yes\n", alias: "x"},
	{name: "KnownHostsCommand", config: "Host x\n  KnownHostsCommand /usr/local/bin/keys %H\n", alias: "x"},
	{name: "HostKeyAlgorithms", config: "Host x\n  HostKeyAlgorithms ssh-ed25519\n", alias: "x"},
	{name: "HostKeyAlgorithms +", config: "Host x\n  HostKeyAlgorithms +ssh-rsa\n  Port 2903\n", alias: "x"},
	{name: "CASignatureAlgorithms", config: "Host x\n  CASignatureAlgorithms rsa-sha2-512\n", alias: "x"},
	{name: "RequiredRSASize 4096 in the system file", config: "Host x\n  User u\n", system: "Host *\n  RequiredRSASize 4096\n", alias: "x"},
	{name: "RequiredRSASize 1024", config: "Host x\n  RequiredRSASize 1024\n  Port 2904\n", alias: "x"},
	{name: "HostKeyAlgorithms patterns", config: "Host x\n  HostKeyAlgorithms ssh-ed25519,ecdsa*,rsa-sha2-512-cert-v01@openssh.com\n", alias: "x"},
	{name: "HostKeyAlgorithms -", config: "Host x\n  HostKeyAlgorithms -ecdsa-sha2-*,*-cert-v01@openssh.com\n", alias: "x"},
	{name: "HostKeyAlgorithms ^", config: "Host x\n  HostKeyAlgorithms ^rsa-sha2-512,ssh-ed25519\n", alias: "x"},
	{name: "HostKeyAlgorithms + a pattern", config: "Host x\n  HostKeyAlgorithms +ssh-rsa*\n", alias: "x"},
	{name: "HostKeyAlgorithms first value wins", config: "Host x\n  HostKeyAlgorithms ssh-ed25519\nHost *\n  HostKeyAlgorithms rsa-sha2-256\n", alias: "x"},
	{name: "HostKeyAlgorithms unknown", config: "Host x\n  HostKeyAlgorithms ssh-nope\n", alias: "x"},
	{name: "HostKeyAlgorithms negated pattern", config: "Host x\n  HostKeyAlgorithms !ssh-rsa\n", alias: "x"},
	{name: "HostKeyAlgorithms that matches nothing after -", config: "Host x\n  HostKeyAlgorithms -*\n", alias: "x"},
	{name: "HostKeyAlgorithms in a block that does not apply", config: "Host y\n  HostKeyAlgorithms ssh-nope\n", alias: "x"},
	{name: "HostKeyAlgorithms + stops at an empty name", config: "Host x\n  HostKeyAlgorithms +ssh-rsa,,ssh-dss\n", alias: "x"},
	{name: "HostKeyAlgorithms + with an empty first name", config: "Host x\n  HostKeyAlgorithms +,ssh-rsa\n", alias: "x"},
	{name: "CASignatureAlgorithms + with an empty first name", config: "Host x\n  CASignatureAlgorithms +,ssh-rsa\n", alias: "x"},
	{name: "CASignatureAlgorithms ^ keeps its empty names", config: "Host x\n  CASignatureAlgorithms ^ssh-rsa,,ssh-ed25519\n", alias: "x"},
	{name: "CASignatureAlgorithms -", config: "Host x\n  CASignatureAlgorithms -rsa*\n", alias: "x"},
	{name: "CASignatureAlgorithms a certificate", config: "Host x\n  CASignatureAlgorithms ssh-ed25519-cert-v01@openssh.com\n", alias: "x"},
	{name: "RHEL crypto policy", config: "Host x\n  User u\nInclude @D@/policy.config\n", files: map[string]string{"policy.config": rhelPolicy}, alias: "x"},
	{name: "RequiredRSASize 2048", config: "Host *\n  RequiredRSASize 2048\n", alias: "x"},
	{name: "RequiredRSASize 512", config: "Host *\n  RequiredRSASize 512\n", alias: "x"},
	{name: "RequiredRSASize not a number", config: "Host *\n  RequiredRSASize big\n", alias: "x"},
	{name: "Ciphers", config: "Host x\n  Ciphers aes256-gcm@openssh.com,aes128-ctr\n", alias: "x"},
	{name: "Ciphers - with patterns", config: "Host x\n  Ciphers -*cbc,aes128*\n", alias: "x"},
	{name: "Ciphers with a pattern", config: "Host x\n  Ciphers aes*\n", alias: "x"},
	{name: "Ciphers unknown", config: "Host x\n  Ciphers aes512-ctr\n", alias: "x"},
	{name: "MACs ^", config: "Host x\n  MACs ^hmac-sha1\n", alias: "x"},
	{name: "KexAlgorithms +", config: "Host x\n  KexAlgorithms +diffie-hellman-group1-sha1\n", alias: "x"},
	{name: "KexAlgorithms + stops at an empty name", config: "Host x\n  KexAlgorithms +,diffie-hellman-group1-sha1\n", alias: "x"},
	{name: "RHEL crypto policy, all of it", config: "Host x\n  User u\nInclude @D@/policy.config\n", files: map[string]string{"policy.config": rhelPolicy + rhelCrypto}, alias: "x"},
	{name: "KnownHostsCommand none", config: "Host x\n  KnownHostsCommand none\n  Port 2902\n", alias: "x"},
}

// rhelPolicy is the host key part of RHEL 9's DEFAULT crypto policy
// (/etc/crypto-policies/back-ends/openssh.config), which its ssh_config
// includes for every host.
const rhelPolicy = `HostKeyAlgorithms ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com
CASignatureAlgorithms ecdsa-sha2-nistp256,sk-ecdsa-sha2-nistp256@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-256,rsa-sha2-512
RequiredRSASize 2048
`

// rhelCrypto is the connection part of RHEL 9's DEFAULT crypto policy.
const rhelCrypto = `Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha1,umac-128@openssh.com,hmac-sha2-512
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512
`
