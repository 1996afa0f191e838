package pgcluster

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

// owner is the unprivileged user that initdb and postgres run as when
// this process is root.
type owner struct {
	name     string
	uid, gid int
}

// lookupOwner returns nil when this process is not root, and otherwise
// the user name to run the server as.
func lookupOwner(name string) (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, PostgreSQL must run as an unprivileged user: %w "+
			"(create it, e.g. useradd --system %s, or set Options.User)", err, name)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %s: gid %q: %w", name, u.Gid, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgcluster: user %s is root; PostgreSQL refuses to run as root (set Options.User)", name)
	}
	return &owner{name: name, uid: uid, gid: gid}, nil
}

// chown gives path to o; a nil o leaves it alone.
func (o *owner) chown(path string) error {
	if o == nil {
		return nil
	}
	return os.Chown(path, o.uid, o.gid)
}
