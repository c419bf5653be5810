"""The action registry: every command of the main window, declared once.

Each action has a stable id (:class:`ActionId`), a text, an icon and a
default key.  The user may remap keys in the settings dialog; only the
differences from the defaults are stored (:attr:`Settings.shortcuts`), and a
key already used by another action is refused (:meth:`ActionRegistry.conflict`).
The shortcut bar, the menus and the settings page are all built from here
(Frescobaldi ``actioncollection``, Picard ``ui/enums``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QStyle

from epimanager.settings import Settings
from epimanager.ui.i18n import QT_TRANSLATE_NOOP

log = logging.getLogger("epimanager.ui")

_CTX = "Actions"


class ActionId(StrEnum):
    NEW_CHILD = "new_child"
    QUICK_SEARCH = "quick_search"
    RECORD_DOSE = "record_dose"
    VISIT_ORDER = "visit_order"
    PRECHECK = "precheck"
    CONSENT = "consent"
    REFRESH = "refresh"
    EDIT_DOSE = "edit_dose"
    REMINDERS = "reminders"
    REPORTS = "reports"
    STATUS_CHANGE = "status_change"
    QUERY_DOSES = "query_doses"
    QUERY_MANAGED = "query_managed"
    QUERY_GAP = "query_gap"
    QUERY_CHANGES = "query_changes"
    QUERY_STATUS_CHANGES = "query_status_changes"
    STOCK = "stock"
    RECALLS = "recalls"
    DELETE_DOSE = "delete_dose"
    SAVE = "save"
    PRINT_RECORD = "print_record"
    PRINT_RECEIPT = "print_receipt"
    UPLOAD = "upload"
    BACKUP = "backup"
    BACKUP_ENCRYPTED = "backup_encrypted"
    RESTORE = "restore"
    IMPORT = "import"
    UPGRADE = "upgrade"
    CONFIG = "config"
    USERS = "users"
    CLEANING = "cleaning"
    CHANGE_PASSWORD = "change_password"
    SETTINGS = "settings"
    QUIT = "quit"
    FOCUS_PANEL = "focus_panel"
    FOCUS_GRID = "focus_grid"
    NEXT_PANEL = "next_panel"
    PREVIOUS_PANEL = "previous_panel"
    TAKE_TICKET = "take_ticket"
    DESK_CALL = "desk_call"
    DESK_RECALL = "desk_recall"
    DESK_MISS = "desk_miss"
    DESK_FINISH = "desk_finish"
    DESK_BACK = "desk_back"
    DESK_CANCEL = "desk_cancel"
    DESK_QUEUE = "desk_queue"
    SWITCH_DESK = "switch_desk"
    CALLING_SCREEN = "calling_screen"
    OBSERVE_BOARD = "observe_board"
    PRINT_TICKET = "print_ticket"
    VISIT_SUMMARY = "visit_summary"
    AEFI_CARD = "aefi_card"


@dataclass(frozen=True)
class ActionSpec:
    id: ActionId
    text: str  # Chinese source text, with a mnemonic (&X)
    icon: QStyle.StandardPixmap | None
    default_key: str  # portable QKeySequence text, "" = none
    tip: str = ""
    toolbar: bool = True


_SP = QStyle.StandardPixmap

#: Order = order on the shortcut bar and in the settings page.
SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        ActionId.NEW_CHILD,
        QT_TRANSLATE_NOOP("Actions", "新建儿童(&N)"),
        _SP.SP_FileIcon,
        "F2",
        QT_TRANSLATE_NOOP("Actions", "建立新的儿童个案"),
    ),
    ActionSpec(
        ActionId.QUICK_SEARCH,
        QT_TRANSLATE_NOOP("Actions", "快速查询(&F)"),
        _SP.SP_FileDialogContentsView,
        "F3",
        QT_TRANSLATE_NOOP("Actions", "按姓名、拼音、出生日期或编码查找儿童"),
    ),
    ActionSpec(
        ActionId.RECORD_DOSE,
        QT_TRANSLATE_NOOP("Actions", "接种登记(&R)"),
        _SP.SP_DialogApplyButton,
        "F4",
        QT_TRANSLATE_NOOP("Actions", "为当前儿童登记一剂接种"),
    ),
    ActionSpec(
        ActionId.PRECHECK,
        QT_TRANSLATE_NOOP("Actions", "预检(&Y)"),
        _SP.SP_MessageBoxQuestion,
        "Ctrl+J",
        QT_TRANSLATE_NOOP("Actions", "预检台或登记：体温与健康询问，得出今天各疫苗可接种、暂缓或禁忌"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.VISIT_ORDER,
        QT_TRANSLATE_NOOP("Actions", "今日接种安排(&O)"),
        _SP.SP_FileDialogInfoView,
        "Ctrl+O",
        QT_TRANSLATE_NOOP("Actions", "登记台：选择当前儿童今天要接种的疫苗、剂次和部位（默认为应种疫苗）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.CONSENT,
        QT_TRANSLATE_NOOP("Actions", "知情告知(&I)"),
        _SP.SP_FileDialogListView,
        "Ctrl+Shift+I",
        QT_TRANSLATE_NOOP("Actions", "登记台：向监护人告知今日安排的疫苗，记录同意、不同意或到点再议及签名"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.REFRESH,
        QT_TRANSLATE_NOOP("Actions", "刷新"),
        _SP.SP_BrowserReload,
        "F5",
        QT_TRANSLATE_NOOP("Actions", "重新读取当前儿童"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.EDIT_DOSE,
        QT_TRANSLATE_NOOP("Actions", "修改剂次(&E)"),
        _SP.SP_FileDialogDetailedView,
        "F6",
        QT_TRANSLATE_NOOP("Actions", "修改选中的接种记录"),
    ),
    ActionSpec(
        ActionId.REMINDERS,
        QT_TRANSLATE_NOOP("Actions", "工作提醒(&W)"),
        _SP.SP_MessageBoxInformation,
        "F7",
        QT_TRANSLATE_NOOP("Actions", "今天需要处理的事项"),
    ),
    ActionSpec(
        ActionId.REPORTS,
        QT_TRANSLATE_NOOP("Actions", "报表查询(&Q)"),
        _SP.SP_FileDialogListView,
        "F8",
        QT_TRANSLATE_NOOP("Actions", "月报（6-1、6-2 等）"),
    ),
    ActionSpec(
        ActionId.STATUS_CHANGE,
        QT_TRANSLATE_NOOP("Actions", "在册变更(&M)"),
        _SP.SP_ArrowRight,
        "F9",
        QT_TRANSLATE_NOOP("Actions", "变更当前儿童的在册情况（迁出需选择原因）"),
    ),
    ActionSpec(
        ActionId.QUERY_DOSES,
        QT_TRANSLATE_NOOP("Actions", "接种明细查询(&J)"),
        _SP.SP_FileDialogDetailedView,
        "Ctrl+1",
        QT_TRANSLATE_NOOP("Actions", "按日期、疫苗、区域查询接种记录"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.QUERY_MANAGED,
        QT_TRANSLATE_NOOP("Actions", "管理门诊查询(&G)"),
        _SP.SP_DirHomeIcon,
        "Ctrl+2",
        QT_TRANSLATE_NOOP("Actions", "本单位管理的儿童"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.QUERY_GAP,
        QT_TRANSLATE_NOOP("Actions", "免疫空白查询(&K)"),
        _SP.SP_MessageBoxWarning,
        "Ctrl+3",
        QT_TRANSLATE_NOOP("Actions", "有应种或超期未种疫苗的儿童（可打印通知）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.QUERY_CHANGES,
        QT_TRANSLATE_NOOP("Actions", "个案变更查询(&L)"),
        _SP.SP_FileDialogBack,
        "Ctrl+4",
        QT_TRANSLATE_NOOP("Actions", "基本资料、接种剂次的修改和删除记录"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.QUERY_STATUS_CHANGES,
        QT_TRANSLATE_NOOP("Actions", "在册变更查询(&Z)"),
        _SP.SP_ArrowForward,
        "Ctrl+5",
        QT_TRANSLATE_NOOP("Actions", "在册情况的变更记录"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.STOCK,
        QT_TRANSLATE_NOOP("Actions", "库存一览(&K)"),
        _SP.SP_DirIcon,
        "Ctrl+6",
        QT_TRANSLATE_NOOP("Actions", "疫苗和注射器的库存、效期和出入库明细；入库、报损、盘点"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.RECALLS,
        QT_TRANSLATE_NOOP("Actions", "召回/封存批号(&R)"),
        None,
        "Ctrl+7",
        QT_TRANSLATE_NOOP("Actions", "县级下发的召回/封存批号清单：接种台扫码时拒绝清单中的批号；业务管理员新增、解除"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.CALLING_SCREEN,
        QT_TRANSLATE_NOOP("Actions", "叫号屏(&H)"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "在电视或第二个显示器上全屏显示叫号（F11 全屏，Esc 退出）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.OBSERVE_BOARD,
        QT_TRANSLATE_NOOP("Actions", "留观看板(&O)"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "留观中的儿童和剩余时间；释放、记录不良反应"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.PRINT_TICKET,
        QT_TRANSLATE_NOOP("Actions", "打印排队小票(&I)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "打印今天的排队号（小票或 A4，带二维码）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.VISIT_SUMMARY,
        QT_TRANSLATE_NOOP("Actions", "接种流程日汇总(&Y)"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "各步骤人数、等候时间、过号未到、留观不足"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.AEFI_CARD,
        QT_TRANSLATE_NOOP("Actions", "异常反应个案(&A)…"),
        None,
        "Ctrl+Shift+A",
        QT_TRANSLATE_NOOP("Actions", "为选中的一剂填写或打开疑似预防接种异常反应个案报告卡"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DELETE_DOSE,
        QT_TRANSLATE_NOOP("Actions", "删除剂次(&D)"),
        _SP.SP_TrashIcon,
        "Ctrl+D",
        QT_TRANSLATE_NOOP("Actions", "删除选中的接种记录（可追溯）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.SAVE,
        QT_TRANSLATE_NOOP("Actions", "保存(&S)"),
        _SP.SP_DialogSaveButton,
        "Ctrl+S",
        QT_TRANSLATE_NOOP("Actions", "保存正在编辑的内容"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.PRINT_RECORD,
        QT_TRANSLATE_NOOP("Actions", "打印接种记录(&P)"),
        _SP.SP_DialogOpenButton,
        "Ctrl+P",
        QT_TRANSLATE_NOOP("Actions", "打印或保存为 PDF：接种记录（接种证页）"),
    ),
    ActionSpec(
        ActionId.PRINT_RECEIPT,
        QT_TRANSLATE_NOOP("Actions", "打印回执(&T)"),
        _SP.SP_FileLinkIcon,
        "Ctrl+Shift+P",
        QT_TRANSLATE_NOOP("Actions", "今天的接种回执及下次接种日期"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.UPLOAD,
        QT_TRANSLATE_NOOP("Actions", "上传个案(&U)"),
        _SP.SP_ArrowUp,
        "F10",
        QT_TRANSLATE_NOOP("Actions", "把待上传的个案、剂次和在册变更上传到免疫规划平台"),
    ),
    ActionSpec(
        ActionId.BACKUP,
        QT_TRANSLATE_NOOP("Actions", "数据备份(&B)"),
        _SP.SP_DriveHDIcon,
        "Ctrl+B",
        QT_TRANSLATE_NOOP("Actions", "立即备份数据库（校验后压缩保存）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.BACKUP_ENCRYPTED,
        QT_TRANSLATE_NOOP("Actions", "加密备份(&E)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "用密码加密备份文件（拷出本机的备份请加密）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.RESTORE,
        QT_TRANSLATE_NOOP("Actions", "恢复备份(&R)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "校验备份后用它替换当前数据库（先另存安全副本）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.IMPORT,
        QT_TRANSLATE_NOOP("Actions", "导入(&I)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "从 CSV/JSON 文件导入儿童或接种记录（可取消；再次导入同一文件从中断处继续）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.UPGRADE,
        QT_TRANSLATE_NOOP("Actions", "安装升级包(&G)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "安装县疾控下发的签名升级包"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.CONFIG,
        QT_TRANSLATE_NOOP("Actions", "配置工具(&C)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "单位编码、区域划分、数据与备份文件夹、平台地址"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.CLEANING,
        QT_TRANSLATE_NOOP("Actions", "数据清理(&D)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "疑似重复个案的合并与撤销、数据质量检查"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.USERS,
        QT_TRANSLATE_NOOP("Actions", "用户管理(&M)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "新建用户、修改角色、停用、解锁、重设密码（系统管理员）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.CHANGE_PASSWORD,
        QT_TRANSLATE_NOOP("Actions", "修改密码(&W)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "修改自己的登录密码"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.SETTINGS,
        QT_TRANSLATE_NOOP("Actions", "设置(&O)"),
        _SP.SP_FileDialogInfoView,
        "Ctrl+,",
        QT_TRANSLATE_NOOP("Actions", "显示字段、快捷键、语言"),
    ),
    ActionSpec(ActionId.QUIT, QT_TRANSLATE_NOOP("Actions", "退出(&X)"), None, "Ctrl+Q", toolbar=False),
    ActionSpec(
        ActionId.FOCUS_PANEL,
        QT_TRANSLATE_NOOP("Actions", "转到基本资料(&B)"),
        None,
        "Ctrl+Shift+B",
        QT_TRANSLATE_NOOP("Actions", "光标移到左侧基本资料，回车修改字段"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.FOCUS_GRID,
        QT_TRANSLATE_NOOP("Actions", "转到接种登记(&J)"),
        None,
        "Ctrl+Shift+J",
        QT_TRANSLATE_NOOP("Actions", "光标移到接种登记表格"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.NEXT_PANEL,
        QT_TRANSLATE_NOOP("Actions", "下一个面板"),
        None,
        "Ctrl+Tab",
        QT_TRANSLATE_NOOP("Actions", "基本资料 → 接种登记 → 工作提醒，依次切换"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.PREVIOUS_PANEL,
        QT_TRANSLATE_NOOP("Actions", "上一个面板"),
        None,
        "Ctrl+Shift+Tab",
        QT_TRANSLATE_NOOP("Actions", "反方向切换面板"),
        toolbar=False,
    ),
    # the clinic flow at this desk (epimanager/ui/visits/)
    ActionSpec(
        ActionId.TAKE_TICKET,
        QT_TRANSLATE_NOOP("Actions", "取号(&T)"),
        None,
        "Ctrl+T",
        QT_TRANSLATE_NOOP("Actions", "为当前儿童取今天的号（登记台、预检台、综合）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_CALL,
        QT_TRANSLATE_NOOP("Actions", "叫下一位(&H)"),
        None,
        "F11",
        QT_TRANSLATE_NOOP("Actions", "叫本工作台的下一个号，并打开该儿童"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_RECALL,
        QT_TRANSLATE_NOOP("Actions", "重呼(&Y)"),
        None,
        "Shift+F11",
        QT_TRANSLATE_NOOP("Actions", "再叫一次选中的号"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_MISS,
        QT_TRANSLATE_NOOP("Actions", "过号(&G)"),
        None,
        "Ctrl+F11",
        QT_TRANSLATE_NOOP("Actions", "叫号未到：回到队尾，过号 3 次取消"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_FINISH,
        QT_TRANSLATE_NOOP("Actions", "完成并转下一步(&W)"),
        None,
        "F12",
        QT_TRANSLATE_NOOP("Actions", "本步骤完成，转到下一步（留观未满时间需填写原因）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_BACK,
        QT_TRANSLATE_NOOP("Actions", "退回(&B)…"),
        None,
        "Shift+F12",
        QT_TRANSLATE_NOOP("Actions", "退回到之前的步骤（需填写原因）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_CANCEL,
        QT_TRANSLATE_NOOP("Actions", "取消号(&C)…"),
        None,
        "Ctrl+F12",
        QT_TRANSLATE_NOOP("Actions", "取消选中的号（今天不再接种）"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.DESK_QUEUE,
        QT_TRANSLATE_NOOP("Actions", "转到工作台队列(&Q)"),
        None,
        "Ctrl+Shift+D",
        QT_TRANSLATE_NOOP("Actions", "光标移到本工作台的排队列表，回车打开儿童"),
        toolbar=False,
    ),
    ActionSpec(
        ActionId.SWITCH_DESK,
        QT_TRANSLATE_NOOP("Actions", "切换工作台(&D)…"),
        None,
        "",
        QT_TRANSLATE_NOOP("Actions", "选择本机的工作台：预检台、登记台、接种台、留观台或综合"),
        toolbar=False,
    ),
)

SPEC_BY_ID: dict[ActionId, ActionSpec] = {s.id: s for s in SPECS}


def translated(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def plain(text: str) -> str:
    """A label without its mnemonic: 新建儿童(&N) → 新建儿童."""
    for i in range(len(text) - 3):
        if text[i] == "(" and text[i + 1] == "&" and text[i + 3] == ")":
            return (text[:i] + text[i + 4 :]).strip()
    return text.replace("&", "").strip()


def normalized(key: str) -> str:
    """The portable text of a key sequence ("ctrl+d" → "Ctrl+D")."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


class ActionRegistry(QObject):
    """Creates one QAction per spec and keeps keys and texts current."""

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions: dict[ActionId, QAction] = {}
        self._hints = settings.show_shortcut_hints
        self._keys: dict[ActionId, str] = {}
        style = QApplication.style()
        for spec in SPECS:
            action = QAction(self)
            action.setObjectName(f"action_{spec.id.value}")
            if spec.icon is not None:
                action.setIcon(style.standardIcon(spec.icon))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self._actions[spec.id] = action
        self.apply_settings(settings)

    # -- access ---------------------------------------------------------------

    def __getitem__(self, action_id: ActionId) -> QAction:
        return self._actions[action_id]

    def __iter__(self) -> Iterator[tuple[ActionSpec, QAction]]:
        for spec in SPECS:
            yield spec, self._actions[spec.id]

    def on(self, action_id: ActionId, slot: Callable[[], object]) -> None:
        def call() -> None:  # no parameters: Qt passes nothing (not ``checked``)
            slot()

        self._actions[action_id].triggered.connect(call)

    def key(self, action_id: ActionId) -> str:
        return self._keys[action_id]

    # -- keys -------------------------------------------------------------------

    @staticmethod
    def effective_keys(settings: Settings) -> dict[ActionId, str]:
        """Default keys with the user's overrides; an override that clashes is ignored."""
        keys = {s.id: normalized(s.default_key) for s in SPECS}
        for raw_id, raw_key in settings.shortcuts.items():
            try:
                aid = ActionId(raw_id)
            except ValueError:
                log.warning("unknown action in shortcut settings: %s", raw_id)
                continue
            key = normalized(raw_key) if raw_key else ""
            other = ActionRegistry.conflict(keys, aid, key)
            if other is not None:
                log.warning("shortcut %s for %s clashes with %s; keeping the default", key, aid, other)
                continue
            keys[aid] = key
        return keys

    @staticmethod
    def conflict(keys: dict[ActionId, str], action_id: ActionId, key: str) -> ActionId | None:
        """The other action already using ``key``, or None."""
        if not key:
            return None
        for other, k in keys.items():
            if other != action_id and k == key:
                return other
        return None

    def apply_settings(self, settings: Settings) -> None:
        self._keys = self.effective_keys(settings)
        self._hints = settings.show_shortcut_hints
        for spec in SPECS:
            key = self._keys[spec.id]
            self._actions[spec.id].setShortcut(QKeySequence(key) if key else QKeySequence())
        self.retranslate()

    def retranslate(self) -> None:
        """(Re)apply texts in the current language, with or without the key hints."""
        for spec in SPECS:
            action = self._actions[spec.id]
            text = translated(spec.text)
            action.setText(text)
            key = self._keys.get(spec.id, "")
            native = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) if key else ""
            label = plain(text)
            action.setIconText(f"{label}\n{native}" if self._hints and native else label)
            tip = translated(spec.tip) if spec.tip else label
            action.setToolTip(f"{tip}（{native}）" if native else tip)
            action.setStatusTip(tip)

    @property
    def hints_shown(self) -> bool:
        return self._hints
