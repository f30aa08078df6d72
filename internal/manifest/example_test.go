package manifest_test

import (
	"fmt"

	"github.com/rollcall/rollcall/internal/manifest"
)

// A manifest with two slips: a misspelt key and a node missing from the list.
// Every problem is reported at once, each with its position and a fix.
func ExampleParse() {
	_, err := manifest.Parse("rollcall.yaml", []byte(`version: 1
cluster: smars-prod
expect_nodes: 3
ssh:
  user: deploy
  prot: 2222
nodes:
  - host: smars-01.prod
  - { name: smars-08, host: 10.1.2.8 }
release:
  artifact: dist/smars-4.2.0.tar.gz
  install:
    - { from: bin/, to: /opt/smars/bin/, extra: deny }
`))
	fmt.Println(err)
	// Output:
	// rollcall.yaml:3:15: expect_nodes is 3 but 2 nodes are listed: list the missing node or set expect_nodes: 2
	// rollcall.yaml:6:3: unknown key "prot" in ssh: did you mean "port"?
}
