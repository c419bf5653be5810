"""``epimanager upgrade``: build, apply, roll back and download signed upgrade packages."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from epimanager.upgrade.install.layout import Target
    from epimanager.upgrade.package import VerifiedPackage


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upgrade",
        help="升级包：制作、安装、回滚、从平台检查更新",
        description="签名升级包（程序文件、数据库迁移、参考数据）的制作与安装。安装失败时自动恢复原状。",
    )
    us = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    b = us.add_parser("build", help="由 upgrades/<版本>/ 制作签名升级包（发布用）")
    b.add_argument("source", type=Path, metavar="SOURCE_DIR")
    b.add_argument("--key", type=Path, required=True, help="Ed25519 签名私钥（PEM）")
    b.add_argument("--out", type=Path, required=True, help="输出的升级包 .zip")
    b.set_defaults(handler=run_build)

    k = us.add_parser("keygen", help="生成一对 Ed25519 签名密钥（发布用，私钥请离线保存）")
    k.add_argument("--out", type=Path, required=True, help="输出文件夹")
    k.set_defaults(handler=run_keygen)

    v = us.add_parser("verify", help="只校验升级包（签名、文件、版本），不做任何改动")
    v.add_argument("package", type=Path, metavar="PKG.zip")
    _root_arg(v)
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=run_verify)

    a = us.add_parser("apply", help="安装升级包")
    a.add_argument("package", type=Path, metavar="PKG.zip")
    _root_arg(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=run_apply)

    h = us.add_parser("history", help="升级与回滚记录")
    _root_arg(h)
    h.add_argument("--json", action="store_true")
    h.set_defaults(handler=run_history)

    r = us.add_parser("rollback", help="回滚最近一次升级")
    _root_arg(r)
    r.add_argument("--force", action="store_true", help="升级后已有新录入时仍回滚（当前数据库先另存备份）")
    r.set_defaults(handler=run_rollback)

    c = us.add_parser("check", help="平台代管：向平台查询最新版本，下载（可断点续传）并安装")
    c.add_argument("--url", help="平台地址（默认：配置中的平台地址）")
    c.add_argument("--download-only", action="store_true", help="只下载，不安装")
    _root_arg(c)
    c.set_defaults(handler=run_check)


def _root_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--install-root", type=Path, help="程序安装文件夹（默认：安装版为程序所在文件夹）")


def _target(args: argparse.Namespace) -> Target:
    from epimanager.errors import EpiError
    from epimanager.paths import resolve_db_path
    from epimanager.services.config.common import INSTALL_ROOT_KEY
    from epimanager.services.config.takeover import read_config_value
    from epimanager.upgrade.install.layout import Target, frozen_install_root

    location = resolve_db_path(getattr(args, "db", None))
    if not isinstance(location, Path):
        raise EpiError(
            "连接数据库服务器的工作站：请在每台工作站上升级程序；服务器上的数据库在第一台新版本程序启动时自动迁移（先备份）"
        )
    db_path = location
    root = args.install_root
    if root is None and not os.environ.get("EPIMANAGER_INSTALL_ROOT") and frozen_install_root() is None:
        configured = read_config_value(db_path, INSTALL_ROOT_KEY)
        root = Path(configured) if configured else None
    return Target.for_database(db_path, root)


def _print_progress(percent: int, message: str) -> None:
    print(f"[{percent:3d}%] {message}", flush=True)


def run_build(args: argparse.Namespace) -> int:
    from epimanager.upgrade.package import build_package

    m = build_package(args.source, args.key, args.out)
    print(f"已制作升级包：{args.out}")
    print(f"版本 {m.version}（可从 {m.min_version} 及以上升级），{len(m.files)} 个文件，解压后 {m.unpacked_size} 字节")
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    import base64

    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from epimanager.errors import EpiError
    from epimanager.upgrade.keys import key_id

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    private_path = out / "upgrade-signing-key.pem"
    if private_path.exists():
        raise EpiError(f"文件已存在，不会覆盖：{private_path}")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    raw = key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    print(f"私钥已写入 {private_path}（请离线保存，切勿提交到代码库）")
    print("把下面一行加入 epimanager/upgrade/keys.py 的 RELEASE_KEYS：")
    print(f'    "{key_id(key.public_key())}": "{base64.b64encode(raw).decode()}",')
    return 0


def _describe(pkg: VerifiedPackage) -> list[str]:
    m = pkg.manifest
    lines = [
        f"升级包：{pkg.path.name}  版本 {m.version}（需要 {m.min_version} 或更高）  发布日期 {m.released}",
        f"签名密钥：{pkg.key_id}；{len(m.files)} 个文件全部校验通过",
        f"  程序文件 {len(m.section('program'))} 个，数据库迁移 {len(m.section('migrations'))} 个，"
        f"参考数据 {len(m.section('data'))} 个",
        "更新说明：",
    ]
    lines += [f"  {line}" for line in m.notes.splitlines()]
    return lines


def run_verify(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.upgrade.install.layout import current_version
    from epimanager.upgrade.install.verify import check_package

    target = _target(args)
    pkg = check_package(args.package, target)
    if args.json:
        print_json({**pkg.manifest.to_dict(), "key_id": pkg.key_id, "current": current_version(target.install_root)})
    else:
        print("\n".join(_describe(pkg)))
        print(f"可以安装（当前版本 {current_version(target.install_root)}）")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.upgrade.install.apply import apply_package

    target = _target(args)
    result = apply_package(
        args.package, target, progress=None if args.json else _print_progress, actor=getattr(args, "actor", None)
    )
    if args.json:
        print_json(
            {
                "from": result.from_version,
                "to": result.to_version,
                "db_backup": str(result.db_backup) if result.db_backup else None,
                "schema_before": list(result.schema_before),
                "schema_after": list(result.schema_after),
                "program_dir": str(result.program_dir),
                "data_files": list(result.data_files),
            }
        )
        return 0
    print(f"已从 {result.from_version} 升级到 {result.to_version}")
    if result.db_backup:
        print(f"升级前的数据库已备份到：{result.db_backup}")
    if result.schema_before != result.schema_after:
        print(f"数据库结构：{', '.join(result.schema_before)} → {', '.join(result.schema_after)}")
    if result.data_files:
        print(f"参考数据已更新：{'、'.join(result.data_files)}")
    print("更新说明：")
    for line in result.notes.splitlines():
        print(f"  {line}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from epimanager.cli.common import print_json
    from epimanager.upgrade.install.history import history_dicts
    from epimanager.upgrade.install.layout import current_version

    target = _target(args)
    entries = history_dicts(target.install_root)
    current = current_version(target.install_root)
    if args.json:
        print_json({"current": current, "history": entries})
        return 0
    print(f"当前版本：{current}")
    if not entries:
        print("还没有升级记录")
    for e in entries:
        what = "升级" if e["action"] == "apply" else "回滚"
        extra = f"  升级包 {e['package']}" if e["package"] else ""
        unfinished = "（未完成：升级时程序被中断，请先回滚）" if e.get("state") == "switching" else ""
        print(f"{e['at']}  {what} {e['from_version']} → {e['to_version']}{extra}{unfinished}")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from epimanager.upgrade.install.rollback import rollback

    result = rollback(_target(args), force=args.force, progress=_print_progress, actor=getattr(args, "actor", None))
    print(f"已从 {result.from_version} 回滚到 {result.to_version}")
    if result.db_restored:
        print("数据库已恢复为升级前的状态")
    if result.db_saved_as:
        print(f"回滚前的数据库另存为：{result.db_saved_as}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from epimanager.errors import ValidationError
    from epimanager.services import token_box
    from epimanager.services.config.common import PLATFORM_TOKEN_KEY, PLATFORM_URL_KEY
    from epimanager.services.config.platform import check_platform_url
    from epimanager.services.config.takeover import read_config_value
    from epimanager.store.database import OWN_UNIT_KEY
    from epimanager.upgrade.download import check_latest, download, is_newer
    from epimanager.upgrade.install.apply import apply_package
    from epimanager.upgrade.install.layout import current_version

    target = _target(args)
    url = args.url or read_config_value(target.db_path, PLATFORM_URL_KEY)
    if not url:
        raise ValidationError("尚未设置平台地址：请用 epimanager config platform --url 地址 设置，或加 --url")
    url = check_platform_url(url)
    token = token_box.unseal(target.db_path, read_config_value(target.db_path, PLATFORM_TOKEN_KEY))
    unit = read_config_value(target.db_path, OWN_UNIT_KEY)
    current = current_version(target.install_root)
    info = check_latest(url, current, unit_code=unit, token=token)
    if not is_newer(info, current):
        print(f"已是最新版本（{current}）")
        return 0
    print(f"平台上有新版本 {info.version}（当前 {current}），正在下载 {info.size} 字节……", flush=True)
    path = download(info, target.install_root / "downloads", token=token)
    print(f"已下载并校验：{path}")
    if args.download_only:
        return 0
    result = apply_package(path, target, progress=_print_progress, actor=getattr(args, "actor", None))
    print(f"已从 {result.from_version} 升级到 {result.to_version}")
    sys.stdout.flush()
    return 0
