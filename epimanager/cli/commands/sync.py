"""``epimanager sync``: upload to / download from the immunization platform."""

from __future__ import annotations

import argparse
import sys

from epimanager.cli.common import date_arg, open_database, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="与免疫规划平台同步", description="上传个案和接种记录到平台，或从平台下载。")
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def token_opts(q: argparse.ArgumentParser, help_text: str) -> None:
        t = q.add_mutually_exclusive_group()
        t.add_argument("--token", help=help_text + "（会出现在进程列表中，建议用 --token-stdin）")
        t.add_argument("--token-stdin", action="store_true", help="从标准输入读取令牌（一行）")

    def platform_opts(q: argparse.ArgumentParser) -> None:
        q.add_argument("--url", help="平台地址（默认：sync config 中设置的地址）")
        token_opts(q, "本单位的令牌（默认：sync config 中设置的令牌）")

    c = ssub.add_parser("config", help="设置或查看平台地址、令牌、自动上传间隔")
    c.add_argument("--url")
    token_opts(c, "本单位的令牌")
    c.add_argument("--interval", type=int, metavar="SECONDS", help="自动上传间隔秒数（0 = 关闭）")
    c.add_argument("--batch-size", type=int, metavar="N", help="每批条数（1–2000，默认 500）")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=run_config)

    u = ssub.add_parser("upload", help="上传所有待上传记录（可中断，下次继续）")
    platform_opts(u)
    u.add_argument("--batch-size", type=int, metavar="N")
    u.add_argument("--json", action="store_true")
    u.add_argument("--quiet", action="store_true", help="不显示进度")
    u.set_defaults(handler=run_upload)

    st = ssub.add_parser("status", help="待上传、已上传、被拒条数和上次成功时间")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=run_status)

    r = ssub.add_parser("rejected", help="被平台拒收的记录（原因）")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=run_rejected)

    rt = ssub.add_parser("retry", help="把被拒记录放回待上传队列")
    g = rt.add_mutually_exclusive_group(required=True)
    g.add_argument("uuid", nargs="?", metavar="UUID")
    g.add_argument("--all", action="store_true", help="全部被拒记录")
    rt.set_defaults(handler=run_retry)

    d = ssub.add_parser("drop", help="放弃上传一条被拒记录")
    d.add_argument("uuid", metavar="UUID")
    d.set_defaults(handler=run_drop)

    lk = ssub.add_parser("lookup", help="在平台查找儿童（异地接种/外地转来），可导入本地")
    platform_opts(lk)
    lk.add_argument("--code", help="18位儿童编码")
    lk.add_argument("--id-number", help="身份证号")
    lk.add_argument("--name", help="姓名（需与 --birth-date 同用）")
    lk.add_argument("--birth-date", type=date_arg, metavar="YYYY-MM-DD")
    lk.add_argument("--mother", help="母亲姓名")
    lk.add_argument(
        "--import", dest="bring_in", action="store_true", help="把找到的儿童（唯一一个）及其接种记录导入本地"
    )
    lk.add_argument("--json", action="store_true")
    lk.set_defaults(handler=run_lookup)

    nb = ssub.add_parser("newborns", help="下载产科为本单位登记的新生儿")
    platform_opts(nb)
    nb.add_argument("--json", action="store_true")
    nb.set_defaults(handler=run_newborns)


def _token(args: argparse.Namespace) -> str | None:
    """``--token``, or one line read from standard input with ``--token-stdin``."""
    if not getattr(args, "token_stdin", False):
        if args.token:
            print(
                "警告：--token 的令牌会出现在进程列表中，本机其他用户可以看到；请改用 --token-stdin",
                file=sys.stderr,
            )
        return args.token
    from epimanager.errors import ValidationError

    line = sys.stdin.readline().strip()
    if not line:
        raise ValidationError("--token-stdin：标准输入中没有令牌（应为一行文字）")
    return line


def run_config(args: argparse.Namespace) -> int:
    from epimanager.sync.config import load_settings, save_settings

    args.token = _token(args)
    db = open_database(args)
    try:
        if args.url is None and args.token is None and args.interval is None and args.batch_size is None:
            settings = load_settings(db)
        else:
            settings = save_settings(
                db, url=args.url, token=args.token, interval_s=args.interval, batch_size=args.batch_size
            )
    finally:
        db.close()
    if args.json:
        print_json(settings.to_json())
    else:
        j = settings.to_json()
        interval = f"每 {j['interval_s']} 秒" if settings.interval_s else "关闭"
        print(f"平台地址：{j['url'] or '（未设置）'}  令牌：{j['token'] or '（未设置）'}  自动上传：{interval}")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    from epimanager.sync.upload import upload

    def progress(done: int, total: int) -> None:
        if not args.quiet and not args.json:
            print(f"\r上传中 {done}/{total}", end="", file=sys.stderr, flush=True)

    token = _token(args)
    db = open_database(args)
    try:
        try:
            report = upload(db, url=args.url, token=token, batch_size=args.batch_size, progress=progress)
        finally:
            if not args.quiet and not args.json:
                print(file=sys.stderr)
    finally:
        db.close()
    if args.json:
        print_json(report.to_json())
    else:
        print(report.summary())
    return 0 if report.complete else 1


def run_status(args: argparse.Namespace) -> int:
    from epimanager.sync.queue import status

    db = open_database(args)
    try:
        st = status(db)
    finally:
        db.close()
    if args.json:
        print_json(st.to_json())
    else:
        print(st.summary())
        if st.last_error:
            print(f"上次错误：{st.last_error}")
    return 0


def run_rejected(args: argparse.Namespace) -> int:
    from epimanager.sync.queue import rejected

    db = open_database(args)
    try:
        rows = rejected(db)
    finally:
        db.close()
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    if not rows:
        print("没有被拒记录")
    for r in rows:
        print(f"{r.uuid}  {r.child_code or ''}  {r.label}  原因：{r.reason or ''}")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from epimanager.sync.queue import retry

    db = open_database(args)
    try:
        n = retry(db, None if args.all else args.uuid)
    finally:
        db.close()
    print(f"已放回待上传队列：{n} 条")
    return 0


def run_drop(args: argparse.Namespace) -> int:
    from epimanager.sync.queue import drop

    db = open_database(args)
    try:
        drop(db, args.uuid)
    finally:
        db.close()
    print(f"已放弃上传：{args.uuid}")
    return 0


def run_lookup(args: argparse.Namespace) -> int:
    from epimanager.errors import EpiError
    from epimanager.sync.download import bring_in, lookup
    from epimanager.sync.upload import make_client

    db = open_database(args)
    try:
        client = make_client(db, url=args.url, token=_token(args))
        try:
            found = lookup(
                client,
                db.own_unit_code(),
                code=args.code,
                id_number=args.id_number,
                name=args.name,
                birth_date=args.birth_date,
                mother=args.mother,
            )
        finally:
            client.close()
        result = None
        if args.bring_in:
            if len(found) != 1:
                raise EpiError(f"找到 {len(found)} 个儿童，导入需要唯一匹配；请用儿童编码查找")
            result = bring_in(db, found[0])
    finally:
        db.close()
    if args.json:
        out: dict[str, object] = {"children": [c.to_json() for c in found]}
        if result is not None:
            out["imported"] = result.to_json()
        print_json(out)
        return 0
    if not found:
        print("平台上没有找到该儿童")
    for c in found:
        j = c.to_json()
        print(f"{j['code']}  {j['name']}  {j['birth_date']}  母亲 {j['mother_name'] or ''}  管理单位 {j['owner_unit']}")
    if result is not None:
        print(result.summary())
    return 0


def run_newborns(args: argparse.Namespace) -> int:
    from epimanager.sync.download import pull_newborns
    from epimanager.sync.upload import make_client

    db = open_database(args)
    try:
        client = make_client(db, url=args.url, token=_token(args))
        try:
            got = pull_newborns(db, client)
        finally:
            client.close()
    finally:
        db.close()
    if args.json:
        print_json([g.to_json() for g in got])
    else:
        print(f"新生儿：下载 {len(got)} 个")
        for g in got:
            print(f"  {g.summary()}")
    return 0
