"""The JavaScript and CSS that asv's published site loads from CDNs, vendored so that the dashboard
works offline.  ``python benchmarks/vendor_js.py install .asv/html`` copies ``benchmarks/asv_vendor/``
next to ``index.html`` and points its tags at the copies; ``fetch`` rebuilds that folder from npm.

asv imports every module in ``benchmarks/`` when it discovers benchmarks: standard library only, and
nothing runs on import.
"""

import argparse
import base64
import hashlib
import io
import re
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "asv_vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Vendored:
    """One file that asv's ``index.html`` loads from a CDN, and the npm tarball it comes from."""

    cdn_url: str  # exactly as asv's index.html writes it
    package: str
    version: str
    member: str  # path inside the tarball (npm puts everything under ``package/``)
    integrity: str  # the registry's ``dist.integrity`` of the tarball, pinned here
    licence: str
    licence_member: str | None  # the licence text inside the tarball, when the package ships one

    @property
    def local_name(self) -> str:
        name = Path(self.member).name
        if ".min." in name:
            stem, _, ext = name.partition(".min.")
            return f"{stem}-{self.version}.min.{ext}"
        return f"{Path(name).stem}-{self.version}{Path(name).suffix}"


_JQUERY = "sha512-Ubldcmxp5np52/ENotGxlLe6aGMvmF4R8S6tZjsP6Knsaxd/xp3Zrh50cG93lR6nPXyUFwzN3ZSOQI0wRJNdGg=="
_FLOT = "sha512-xg2otcTJDvS+ERK+my4wxG/ASq90QURXtoM4LhacCq0jQW2jbyjdttbRNqU2cPykrpMvJ6b2uSp6SAgYAzj9tQ=="
_ORDERBARS = "sha512-Jv51fvzevUjNXEeozpwEKfPjhiZhfiJddv0WHjduUTCmSF+7T5K7C9c9Y1wIVmUhDBv5fLMjgbwKecT0GIKPZA=="
_STUPIDTABLE = "sha512-2Vk7XouQPxUQPRe9w0Fu7ZZ8kHLK7rDoLMsCgtKxRNJ7f4dSOGvW9CkHsq5wD6QsaEnWoyLBYH3xOEsrK3yWBg=="
_MD5 = "sha512-DRQrD6gJyy8FbiE4s+bDoXS9hiW3Vbx5uCdwvcCf3zLHL+Iv7LtGHLpr+GZV8rHG8tK766FGYBwRbu8pELTt+w=="
_BOOTSTRAP = "sha512-TAzqS8E/ISpVHP29gYhy+1NSV+FJwApDVQhDfgLYsIuUDJiqJzH2DfORN5tiu+Ie2iBLrzEG34t4Rf465cigqg=="
_CDNJS_FLOT = "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/"

#: What asv 0.6's index.html loads from CDNs.  Where npm has the CDN's exact file (jQuery, bootstrap,
#: orderBars, md5) the bytes match the CDN's integrity hash; cdnjs's minified flot 0.8.3 is replaced by
#: the same release unminified, and stupidtable 1.0.1 (not on npm) by 1.1.3, which keeps the
#: ``$.fn.stupidtable(sort_fns)`` call asv makes.
VENDORED = [
    Vendored(
        "https://code.jquery.com/jquery-3.3.1.min.js",
        "jquery", "3.3.1", "package/dist/jquery.min.js", _JQUERY, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        _CDNJS_FLOT + "jquery.flot.min.js",
        "flot", "0.8.3", "package/jquery.flot.js", _FLOT, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        _CDNJS_FLOT + "jquery.flot.time.min.js",
        "flot", "0.8.3", "package/jquery.flot.time.js", _FLOT, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        _CDNJS_FLOT + "jquery.flot.selection.min.js",
        "flot", "0.8.3", "package/jquery.flot.selection.js", _FLOT, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        _CDNJS_FLOT + "jquery.flot.categories.min.js",
        "flot", "0.8.3", "package/jquery.flot.categories.js", _FLOT, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js",
        "flot-orderbars", "1.0.0", "package/js/jquery.flot.orderBars.js", _ORDERBARS,
        "MIT (package.json and the file's header; the tarball has no licence file)", None,
    ),
    Vendored(
        "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js",
        "stupid-table-plugin", "1.1.3", "package/stupidtable.min.js", _STUPIDTABLE, "MIT", "package/LICENSE",
    ),
    Vendored(
        "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js",
        "blueimp-md5", "2.19.0", "package/js/md5.min.js", _MD5, "MIT", "package/LICENSE.txt",
    ),
    Vendored(
        "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js",
        "bootstrap", "3.1.1", "package/dist/js/bootstrap.min.js", _BOOTSTRAP, "MIT", "package/LICENSE",
    ),
    Vendored(
        "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css",
        "bootstrap", "3.1.1", "package/dist/css/bootstrap.min.css", _BOOTSTRAP, "MIT", "package/LICENSE",
    ),
]  # fmt: skip

# A <script src=...></script> or <link ... href=...> tag that loads an absolute URL.
_EXTERNAL_TAG = re.compile(
    r"<script\b[^>]*\bsrc=\"(?P<script>https?://[^\"]+)\"[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=\"(?P<link>https?://[^\"]+)\"[^>]*>",
    re.IGNORECASE,
)


def _tarball(package, version, integrity) -> tarfile.TarFile:
    url = f"{REGISTRY}/{package}/-/{package}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"vendor_js: {url} has {algorithm} {actual}, expected {expected} (pinned in VENDORED)")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def fetch(vendor_dir: Path = VENDOR_DIR) -> None:
    """Rebuild ``vendor_dir`` from the npm registry: each file and its package's licence text."""
    (vendor_dir / "licenses").mkdir(parents=True, exist_ok=True)
    tarballs = {}
    for item in VENDORED:
        key = (item.package, item.version)
        if key not in tarballs:
            tarballs[key] = _tarball(item.package, item.version, item.integrity)
        archive = tarballs[key]
        (vendor_dir / item.local_name).write_bytes(archive.extractfile(item.member).read())
        licence_path = vendor_dir / "licenses" / f"{item.package}-{item.version}.txt"
        if item.licence_member is not None:
            licence_path.write_bytes(archive.extractfile(item.licence_member).read())
        else:
            licence_path.write_text(f"{item.package} {item.version}: {item.licence}\n")
        print(f"{item.local_name:40} {item.package} {item.version} ({item.licence.split(' ')[0]})")


def _local_tag(match: re.Match, by_url: dict) -> str:
    url = match.group("script") or match.group("link")
    if url not in by_url:
        raise SystemExit(
            f"vendor_js: asv's index.html loads {url}, which is not vendored; add it to VENDORED in {__file__}"
        )
    path = f"vendor/{by_url[url].local_name}"
    if match.group("script"):
        return f'<script src="{path}" onerror="js_load_failure()"></script>'
    return f'<link rel="stylesheet" href="{path}">'


def install(html_dir: Path, vendor_dir: Path = VENDOR_DIR) -> None:
    """Copy the vendored files into ``html_dir/vendor`` and point ``html_dir/index.html`` at them."""
    index = html_dir / "index.html"
    if not index.is_file():
        raise SystemExit(f"vendor_js: no {index}; run `asv publish` first")
    shutil.copytree(vendor_dir, html_dir / "vendor", dirs_exist_ok=True)
    by_url = {item.cdn_url: item for item in VENDORED}
    text = _EXTERNAL_TAG.sub(lambda match: _local_tag(match, by_url), index.read_text(encoding="utf-8"))
    index.write_text(text, encoding="utf-8")
    print(f"vendor_js: {index} loads its scripts and styles from {html_dir / 'vendor'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help=f"rebuild {VENDOR_DIR} from the npm registry")
    install_parser = commands.add_parser("install", help="vendor the published site's scripts and styles")
    install_parser.add_argument("html_dir", type=Path, help="asv's html_dir (.asv/html)")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        fetch()
    else:
        install(args.html_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
