// Command bulwark-test-apiserver runs a real Kubernetes API server for Bulwark's integration tests: kube-apiserver
// in-process (k8s.io/kubernetes/cmd/kube-apiserver/app) on an embedded etcd (go.etcd.io/etcd/server/v3/embed), so the
// suite needs neither Docker nor downloaded binaries. Every flag after `--` goes to kube-apiserver unchanged (token
// auth, RBAC, audit webhook, service-account keys: see test/services/k8s.sh).
//
//	bulwark-test-apiserver -data DIR -etcd-port N -- --secure-port=6443 ...
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	dataDir := flag.String("data", "", "directory for etcd's data (throwaway)")
	etcdPort := flag.Int("etcd-port", 0, "loopback port of the embedded etcd's client endpoint")
	flag.Parse()
	if *dataDir == "" || *etcdPort == 0 {
		fmt.Fprintln(os.Stderr, "usage: bulwark-test-apiserver -data DIR -etcd-port N -- <kube-apiserver flags>")
		os.Exit(2)
	}

	cfg := embed.NewConfig()
	cfg.Name = "bulwark-test"
	cfg.Dir = filepath.Join(*dataDir, "etcd")
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", *etcdPort))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", *etcdPort+1))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedded etcd:", err)
		os.Exit(1)
	}
	defer etcd.Close()
	select {
	case <-etcd.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "embedded etcd did not become ready within 60 s")
		os.Exit(1)
	}

	cmd := app.NewAPIServerCommand()
	cmd.SetArgs(append([]string{"--etcd-servers=" + client.String()}, flag.Args()...))
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
}
