// The Debian kernels bpf-atlas bundles: exact package versions (fetch.sh downloads the same list),
// and the ids/metadata their facts carry. One row per atlas.

export interface DebianKernel {
  id: string;
  release: string;
  version: string;
  codename: string;
  suite: string;
  lts: boolean;
  /** Debian package version of every package below. */
  debVersion: string;
  /** Packages with the vmlinuz (7.x splits it into base + binary). */
  imagePackages: string[];
  /** tar wildcard of the vmlinuz inside the image package. */
  imageMember: string;
  /** tar wildcard of the module files (.ko up to 6.1, .ko.xz since 6.12). */
  moduleMember: string;
  /** Package with the modules, when it is not the image package itself (7.x). */
  modulesPackage?: string;
  /** Prefix of the DWARF inline files: `<prefix>-inline.tsv.gz`, `<prefix>-self-sites.tsv.gz`. */
  inlinePrefix: string;
  /** Modules carry split BTF (not 5.10). */
  moduleBtf: boolean;
  /** Package and tar wildcard of the kernel's build configuration (`.config`). */
  configPackage: string;
  configMember: string;
}

export const DEBIAN_KERNELS: DebianKernel[] = [
  {
    id: 'debian-11', release: '5.10.0-46-amd64', version: '5.10', codename: 'bullseye', suite: 'bullseye-security', lts: true,
    debVersion: '5.10.262-1', imagePackages: ['linux-image-5.10.0-46-amd64-unsigned'], imageMember: './boot/vmlinuz-*', moduleMember: '*.ko', inlinePrefix: '5.10', moduleBtf: false,
    configPackage: 'linux-image-5.10.0-46-amd64-unsigned', configMember: './boot/config-*',
  },
  {
    id: 'debian-12', release: '6.1.0-56-amd64', version: '6.1', codename: 'bookworm', suite: 'bookworm-security', lts: true,
    debVersion: '6.1.192-2', imagePackages: ['linux-image-6.1.0-56-amd64-unsigned'], imageMember: './boot/vmlinuz-*', moduleMember: '*.ko', inlinePrefix: '6.1', moduleBtf: true,
    configPackage: 'linux-image-6.1.0-56-amd64-unsigned', configMember: './boot/config-*',
  },
  {
    id: 'debian-13', release: '6.12.107+deb13-amd64', version: '6.12', codename: 'trixie', suite: 'trixie', lts: true,
    debVersion: '6.12.107-1', imagePackages: ['linux-image-6.12.107+deb13-amd64-unsigned'], imageMember: './boot/vmlinuz-*', moduleMember: '*.ko.xz', inlinePrefix: '6.12', moduleBtf: true,
    configPackage: 'linux-image-6.12.107+deb13-amd64-unsigned', configMember: './boot/config-*',
  },
  {
    id: 'debian-sid', release: '7.2.13+deb14-amd64', version: '7.2', codename: 'sid', suite: 'sid', lts: false,
    debVersion: '7.2.13-1', imagePackages: ['linux-binary-unsigned-7.2.13+deb14-amd64'],
    imageMember: './usr/lib/modules/*/vmlinuz.unsigned', modulesPackage: 'linux-modules-7.2.13+deb14-amd64', moduleMember: '*.ko.xz', inlinePrefix: '7.2', moduleBtf: true,
    // 7.x image packages carry no config; the headers package has the build's .config.
    configPackage: 'linux-headers-7.2.13+deb14-amd64', configMember: './usr/src/linux-headers-*/.config',
  },
];

/** The file name apt-get download gives a package (epoch-free versions only). */
export function debFileName(pkg: string, version: string): string {
  return `${pkg}_${version}_amd64.deb`;
}
