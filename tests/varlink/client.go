// SPDX-License-Identifier: GPL-2.0-only
// varlink-client: stubdmd seen by an independent Varlink client, Debian's
// Go library (golang-github-varlink-go-dev) and the bindings its
// varlink-go-interface-generator makes from io.stubdm.varlink.
//
//	varlink-client SOCKET service IDLFILE   org.varlink.service
//	varlink-client SOCKET read GUEST        List, Status, Stats, GetInfo
//	varlink-client SOCKET events N          follow Events, print N changes
//	varlink-client SOCKET stop GUEST        a privileged call: "refused"
//	                                        or "allowed" on stdout
//
// Exit 0 when the daemon answered as the interface says, 1 otherwise.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strconv"
	"time"

	"iostubdm"

	"github.com/varlink/go/varlink"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "varlink-client: "+format+"\n", a...)
	os.Exit(1)
}

// strict decodes a reply into the generated type, refusing members the
// interface does not declare (the library itself ignores mismatches).
func strict(ctx context.Context, c *varlink.Connection, method string,
	in interface{}, out interface{}) {
	var raw json.RawMessage
	receive, err := c.Send(ctx, method, in, 0)
	if err != nil {
		fail("%s: %v", method, err)
	}
	if _, err = receive(ctx, &raw); err != nil {
		fail("%s: %v", method, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err = d.Decode(out); err != nil {
		fail("%s: the reply does not match io.stubdm.varlink: %v: %s",
			method, err, raw)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func service(ctx context.Context, c *varlink.Connection, idlFile string) {
	var vendor, product, version, url string
	var ifaces []string

	// The library sends "parameters": null here.
	if err := c.GetInfo(ctx, &vendor, &product, &version, &url,
		&ifaces); err != nil {
		fail("org.varlink.service.GetInfo: %v", err)
	}
	if product != "stubdmd" || version == "" || vendor == "" ||
		!contains(ifaces, "io.stubdm") ||
		!contains(ifaces, "org.varlink.service") {
		fail("GetInfo: %q %q %q %q %v", vendor, product, version, url,
			ifaces)
	}
	want, err := ioutil.ReadFile(idlFile)
	if err != nil {
		fail("%v", err)
	}
	desc, err := c.GetInterfaceDescription(ctx, "io.stubdm")
	if err != nil || desc != string(want) {
		fail("GetInterfaceDescription io.stubdm: %v; differs from %s",
			err, idlFile)
	}
	desc, err = c.GetInterfaceDescription(ctx, "org.varlink.service")
	if err != nil || !bytes.Contains([]byte(desc),
		[]byte("interface org.varlink.service\n")) {
		fail("GetInterfaceDescription org.varlink.service: %v", err)
	}
	_, err = c.GetInterfaceDescription(ctx, "org.example.nothing")
	if e, ok := err.(*varlink.InterfaceNotFound); !ok ||
		e.Interface != "org.example.nothing" {
		fail("GetInterfaceDescription of an unknown interface: %v", err)
	}
	err = c.Call(ctx, "org.varlink.service.Nothing", nil, nil)
	if _, ok := err.(*varlink.MethodNotFound); !ok {
		fail("org.varlink.service.Nothing: %v", err)
	}
	fmt.Printf("%s %s %s %v\n", vendor, product, version, ifaces)
}

func read(ctx context.Context, c *varlink.Connection, guest string) {
	var list struct {
		Guests []iostubdm.Guest `json:"guests"`
	}
	var status struct {
		Guest iostubdm.GuestDetail `json:"guest"`
	}
	var info, stats map[string]interface{}

	// The generated bindings, as a Go user of the interface would.
	guests, err := iostubdm.List().Call(ctx, c)
	if err != nil {
		fail("io.stubdm.List: %v", err)
	}
	detail, err := iostubdm.Status().Call(ctx, c, guest)
	if err != nil || detail.Name != guest || detail.State != "running" ||
		detail.Stub_domid == nil {
		fail("io.stubdm.Status %s: %v %+v", guest, err, detail)
	}
	version, iv, _, _, _, n, _, _, _, err := iostubdm.GetInfo().Call(ctx, c)
	if err != nil || version == "" || iv < 1 || n != int64(len(guests)) {
		fail("io.stubdm.GetInfo: %v", err)
	}
	// The same replies, strictly against the interface.
	strict(ctx, c, "io.stubdm.List", nil, &list)
	strict(ctx, c, "io.stubdm.Status", map[string]string{"guest": guest},
		&status)
	strict(ctx, c, "io.stubdm.GetInfo", nil, &info)
	strict(ctx, c, "io.stubdm.Stats", nil, &stats)
	for _, g := range list.Guests {
		if g.Name == guest && g.State == "running" {
			fmt.Printf("%s %d %s %d\n", g.Name, g.Domid, g.State,
				*g.Stub_domid)
			return
		}
	}
	fail("io.stubdm.List: %s not running in %+v", guest, list.Guests)
}

func events(ctx context.Context, c *varlink.Connection, n int) {
	follow := true
	receive, err := iostubdm.Events().Send(ctx, c, varlink.More, &follow)
	if err != nil {
		fail("io.stubdm.Events: %v", err)
	}
	for replies := 0; n > 0; replies++ {
		evs, flags, err := receive(ctx)
		if err != nil {
			fail("io.stubdm.Events: %v", err)
		}
		if flags&varlink.Continues == 0 {
			fail("io.stubdm.Events with follow: a last reply")
		}
		if replies == 0 {
			fmt.Println("history")	// the first reply
			os.Stdout.Sync()
			continue
		}
		for _, e := range evs {
			fmt.Printf("%s %s %s\n", e.Guest, e.Old, e.New)
			n--
		}
		os.Stdout.Sync()
	}
}

func stop(ctx context.Context, c *varlink.Connection, guest string) {
	_, err := iostubdm.Stop().Call(ctx, c, guest)
	switch e := err.(type) {
	case nil:
		fmt.Println("allowed")
	case *iostubdm.PermissionDenied:
		if e.Method != "io.stubdm.Stop" {
			fail("PermissionDenied names %q", e.Method)
		}
		fmt.Println("refused")
	default:
		fail("io.stubdm.Stop: %v", err)
	}
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: varlink-client SOCKET service|read|events|stop ARG")
	}
	ctx, cancel := context.WithTimeout(context.Background(),
		60*time.Second)
	defer cancel()
	c, err := varlink.NewConnection(ctx, "unix:"+os.Args[1])
	if err != nil {
		fail("%s: %v", os.Args[1], err)
	}
	defer c.Close()
	switch os.Args[2] {
	case "service":
		service(ctx, c, os.Args[3])
	case "read":
		read(ctx, c, os.Args[3])
	case "events":
		n, err := strconv.Atoi(os.Args[3])
		if err != nil {
			fail("events: %v", err)
		}
		events(ctx, c, n)
	case "stop":
		stop(ctx, c, os.Args[3])
	default:
		fail("unknown mode %s", os.Args[2])
	}
}
