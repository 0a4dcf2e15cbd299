#!/usr/bin/env python3
"""Writes a one-layer OCI image archive (an OCI image layout in a tar) from a root filesystem directory, for
`ctr images import`: the test node cannot pull images, so test/services/node.sh builds its pod images locally.

    oci-image.py ROOTFS NAME:TAG OUT.tar [--entrypoint JSON] [--cmd JSON]

Only the standard library: the layer is a gzipped tar of ROOTFS (owners root, times fixed, so the same ROOTFS gives the
same digest), the config names the diff id, the index carries the name in the annotations containerd reads.
"""
import argparse, gzip, hashlib, io, json, os, tarfile

def reproducible(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    info.mtime = 0
    return info

def blob(out: tarfile.TarFile, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f'blobs/sha256/{digest}')
    info.size = len(data)
    out.addfile(reproducible(info), io.BytesIO(data))
    return f'sha256:{digest}'

def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('rootfs'); p.add_argument('name'); p.add_argument('out')
    p.add_argument('--entrypoint', default='null'); p.add_argument('--cmd', default='["/bin/sh"]')
    a = p.parse_args()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as layer:
        for entry in sorted(os.listdir(a.rootfs)):
            layer.add(os.path.join(a.rootfs, entry), arcname=entry, filter=reproducible)
    diff_id = 'sha256:' + hashlib.sha256(raw.getvalue()).hexdigest()
    compressed = gzip.compress(raw.getvalue(), mtime=0)
    config = {
        'architecture': 'amd64', 'os': 'linux',
        'config': {'Env': ['PATH=/bin'], 'Entrypoint': json.loads(a.entrypoint), 'Cmd': json.loads(a.cmd), 'WorkingDir': '/'},
        'rootfs': {'type': 'layers', 'diff_ids': [diff_id]},
    }
    with tarfile.open(a.out, 'w') as out:
        layer_digest = blob(out, compressed)
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_digest = blob(out, config_bytes)
        manifest = json.dumps({
            'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': config_digest, 'size': len(config_bytes)},
            'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': layer_digest, 'size': len(compressed)}],
        }, sort_keys=True).encode()
        manifest_digest = blob(out, manifest)
        index = json.dumps({
            'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
            'manifests': [{
                'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': manifest_digest, 'size': len(manifest),
                'annotations': {'io.containerd.image.name': a.name, 'org.opencontainers.image.ref.name': a.name.rsplit(':', 1)[-1]},
            }],
        }).encode()
        for name, data in (('oci-layout', b'{"imageLayoutVersion":"1.0.0"}'), ('index.json', index)):
            info = tarfile.TarInfo(name); info.size = len(data)
            out.addfile(reproducible(info), io.BytesIO(data))

if __name__ == '__main__':
    main()
