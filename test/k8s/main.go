// Command bulwark-test-apiserver runs real Kubernetes components for Bulwark's integration tests, built from one
// k8s.io/kubernetes module so the suite needs neither Docker nor downloaded binaries:
//
//	bulwark-test-apiserver -data DIR -etcd-port N -- <kube-apiserver flags>
//	    kube-apiserver in-process on an embedded etcd (go.etcd.io/etcd/server/v3/embed): test/services/k8s.sh
//	bulwark-test-apiserver kubelet|kube-scheduler|kube-controller-manager <flags>
//	    the node and the control loops a node needs, as their own commands: test/services/node.sh
//
// One binary (as the old hyperkube was) keeps it one cached Go build: the components share most of their packages.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

func main() {
	if len(os.Args) > 1 {
		var cmd *cobra.Command
		switch os.Args[1] {
		case "kubelet":
			cmd = kubelet.NewKubeletCommand(context.Background())
		case "kube-scheduler":
			cmd = scheduler.NewSchedulerCommand()
		case "kube-controller-manager":
			cmd = controllermanager.NewControllerManagerCommand()
		}
		if cmd != nil {
			cmd.SetArgs(os.Args[2:])
			os.Exit(cli.Run(cmd))
		}
	}
	apiserver()
}

func apiserver() {
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
