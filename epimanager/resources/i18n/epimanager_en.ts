<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name></name>
    <message>
        <location filename="../../ui/visits/ticket.py" line="137"/>
        <source>排队号</source>
        <extracomment>the hook for today&apos;s order (wt-order): ticket → the lines to print (vaccine, dose, site …) page size (mm) of each paper; a roll is cut after the ticket, so its height is the ticket&apos;s width of the printed ticket (A4: a ticket-sized block at the top of the page)</extracomment>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/ticket.py" line="142"/>
        <source>请到 %1 等候叫号</source>
        <translation>Please wait at %1 to be called</translation>
    </message>
    <message>
        <location filename="../../ui/visits/ticket.py" line="144"/>
        <source>当前：%1</source>
        <translation>Now: %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/ticket.py" line="146"/>
        <source>今日接种：</source>
        <translation>Today&apos;s vaccinations:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/ticket.py" line="155"/>
        <source>请保管好本票，过号请到服务台重新排队。</source>
        <translation>Keep this ticket; if your number is missed, queue again at the front desk.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="37"/>
        <source>叫号屏</source>
        <translation>Calling screen</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="37"/>
        <source>显示在哪个屏幕：</source>
        <translation>Show on which screen:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="91"/>
        <location filename="../../ui/visits/windows.py" line="99"/>
        <location filename="../../ui/visits/windows.py" line="102"/>
        <location filename="../../ui/visits/windows.py" line="105"/>
        <source>打印排队小票</source>
        <extracomment>today&apos;s order lines on the ticket (ticket → lines; none when 登记 has not set one) (the ticket prints its own heading: the service&apos;s first line is left out)</extracomment>
        <translation>Print queue ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="91"/>
        <source>号（如 A012）：</source>
        <translation>Ticket (e.g. A012):</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="102"/>
        <source>号应为 A 或 Y 加三位数字，如 A012</source>
        <translation>A ticket is A or Y and three digits, e.g. A012</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="104"/>
        <source>80 mm 小票</source>
        <translation>80 mm receipt</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="104"/>
        <source>58 mm 小票</source>
        <translation>58 mm receipt</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="104"/>
        <source>A4</source>
        <translation>A4</translation>
    </message>
    <message>
        <location filename="../../ui/visits/windows.py" line="105"/>
        <source>纸张：</source>
        <translation>Paper:</translation>
    </message>
    <message>
        <location filename="../../ui/print/aefi_card.py" line="41"/>
        <source>报告单位：%1&#x3000;打印时间：%2</source>
        <translation>Reporting unit: %1   Printed: %2</translation>
    </message>
    <message>
        <location filename="../../ui/print/aefi_card.py" line="42"/>
        <source>报告人（签字）：＿＿＿＿＿＿&#x3000;报告单位（盖章）：＿＿＿＿＿＿&#x3000;日期：＿＿＿＿＿＿</source>
        <translation>Reporter (signature): ______   Reporting unit (seal): ______   Date: ______</translation>
    </message>
    <message>
        <location filename="../../ui/print/aefi_card.py" line="44"/>
        <source>依据《全国疑似预防接种异常反应监测方案》：死亡、严重、群体性 AEFI 发现后 2 小时内报告；其他 AEFI 发现后 48 小时内填写个案报告卡并网络直报。</source>
        <translation>National AEFI surveillance plan: deaths, serious and group AEFI are reported within 2 hours of discovery; other AEFI within 48 hours (case report card, online).</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_launch.py" line="28"/>
        <source>请先按 F3 查找并打开一个儿童</source>
        <translation>Press F3 to find and open a child first</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_launch.py" line="33"/>
        <source>预检</source>
        <translation>Pre-check</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_launch.py" line="45"/>
        <source>今天的疫苗均可接种</source>
        <translation>All of today&apos;s vaccines may be given</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_launch.py" line="46"/>
        <source>已保存预检：%1</source>
        <translation>Pre-check saved: %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="37"/>
        <location filename="../../ui/visits/precheck_slip.py" line="51"/>
        <source>暂缓，%1 起可接种</source>
        <extracomment>a cell never broken across lines (Qt&apos;s table layout honours white-space on the cell)</extracomment>
        <translation>Deferred, may be given from %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="39"/>
        <location filename="../../ui/visits/precheck_slip.py" line="53"/>
        <source>禁忌（须医生出具意见）</source>
        <translation>Contraindicated (needs a doctor&apos;s note)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="40"/>
        <source>可接种</source>
        <translation>may be given</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="57"/>
        <source>其他疫苗（%1种）</source>
        <translation>Other vaccines (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="63"/>
        <source>（%1 号）</source>
        <translation> (ticket %1)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="73"/>
        <source>健康询问答“是”：</source>
        <translation>Health questions answered “yes”: </translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="73"/>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="74"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="74"/>
        <source>医学建议</source>
        <translation>Medical advice</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="74"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="82"/>
        <source>请于上述日期后携带儿童和预防接种证到本接种单位补种。</source>
        <translation>Please bring the child and the vaccination certificate back to this clinic after the dates above.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_slip.py" line="83"/>
        <source>禁忌接种的疫苗，须经医生诊断并出具书面意见后方可接种。如有疑问请咨询接种单位。</source>
        <translation>A contraindicated vaccine may only be given after a doctor&apos;s diagnosis and written opinion. Ask the clinic if in doubt.</translation>
    </message>
</context>
<context>
    <name>Actions</name>
    <message>
        <location filename="../../ui/actions.py" line="101"/>
        <source>新建儿童(&amp;N)</source>
        <extracomment>Order = order on the shortcut bar and in the settings page.</extracomment>
        <translation>&amp;New child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="104"/>
        <source>建立新的儿童个案</source>
        <translation>Register a new child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="108"/>
        <source>快速查询(&amp;F)</source>
        <translation>Quick search (&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="111"/>
        <source>按姓名、拼音、出生日期或编码查找儿童</source>
        <translation>Find a child by name, pinyin, birth date or code</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="115"/>
        <source>接种登记(&amp;R)</source>
        <translation>&amp;Record dose</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="118"/>
        <source>为当前儿童登记一剂接种</source>
        <translation>Record a dose for the current child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="122"/>
        <source>预检(&amp;Y)</source>
        <translation>Pre-chec&amp;k</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="125"/>
        <source>预检台或登记：体温与健康询问，得出今天各疫苗可接种、暂缓或禁忌</source>
        <translation>Pre-check desk or registration: temperature and health questions give each of today&apos;s vaccines as may be given, deferred or contraindicated</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="130"/>
        <source>今日接种安排(&amp;O)</source>
        <translation>Today&apos;s &amp;order</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="133"/>
        <source>登记台：选择当前儿童今天要接种的疫苗、剂次和部位（默认为应种疫苗）</source>
        <translation>Registration desk: choose the vaccines, doses and sites to give the current child today (due ones by default)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="138"/>
        <source>知情告知(&amp;I)</source>
        <translation>&amp;Informed consent</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="141"/>
        <source>登记台：向监护人告知今日安排的疫苗，记录同意、不同意或到点再议及签名</source>
        <translation>Registration desk: inform the guardian about today&apos;s vaccines and record consent, refusal or decide-later with a signature</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="146"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="149"/>
        <source>重新读取当前儿童</source>
        <translation>Reload the current child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="154"/>
        <source>修改剂次(&amp;E)</source>
        <translation>&amp;Edit dose</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="157"/>
        <source>修改选中的接种记录</source>
        <translation>Edit the selected dose</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="161"/>
        <source>工作提醒(&amp;W)</source>
        <translation>&amp;Work reminders</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="164"/>
        <source>今天需要处理的事项</source>
        <translation>What needs doing today</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="168"/>
        <source>报表查询(&amp;Q)</source>
        <translation>Reports (&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="171"/>
        <source>月报（6-1、6-2 等）</source>
        <translation>Monthly reports (6-1, 6-2 …)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="175"/>
        <source>在册变更(&amp;M)</source>
        <translation>Register &amp;move</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="178"/>
        <source>变更当前儿童的在册情况（迁出需选择原因）</source>
        <translation>Change the current child&apos;s register status (moving out needs a reason)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="182"/>
        <source>接种明细查询(&amp;J)</source>
        <translation>Dose details query (&amp;J)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="185"/>
        <source>按日期、疫苗、区域查询接种记录</source>
        <translation>Doses by date, vaccine and area</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="190"/>
        <source>管理门诊查询(&amp;G)</source>
        <translation>Managed children query (&amp;G)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="193"/>
        <source>本单位管理的儿童</source>
        <translation>Children managed by this unit</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="198"/>
        <source>免疫空白查询(&amp;K)</source>
        <translation>Immunization gap query (&amp;K)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="201"/>
        <source>有应种或超期未种疫苗的儿童（可打印通知）</source>
        <translation>Children with due or overdue vaccines (call-up list can be printed)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="206"/>
        <source>个案变更查询(&amp;L)</source>
        <translation>Record changes query (&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="209"/>
        <source>基本资料、接种剂次的修改和删除记录</source>
        <translation>Changes and deletions of basic data and doses</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="214"/>
        <source>在册变更查询(&amp;Z)</source>
        <translation>Register changes query (&amp;Z)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="217"/>
        <source>在册情况的变更记录</source>
        <translation>History of register status changes</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="222"/>
        <source>库存一览(&amp;K)</source>
        <translation>Stock on &amp;hand</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="225"/>
        <source>疫苗和注射器的库存、效期和出入库明细；入库、报损、盘点</source>
        <translation>Vaccines and syringes on hand, expiry dates and ledgers; receive, write off, count</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="230"/>
        <source>召回/封存批号(&amp;R)</source>
        <translation>&amp;Recalled/locked batches</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="233"/>
        <source>县级下发的召回/封存批号清单：接种台扫码时拒绝清单中的批号；业务管理员新增、解除</source>
        <translation>The county&apos;s list of recalled/locked batches: the vaccination desk&apos;s scan refuses them; a business administrator adds and lifts entries</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="238"/>
        <source>叫号屏(&amp;H)</source>
        <translation>Callin&amp;g screen</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="241"/>
        <source>在电视或第二个显示器上全屏显示叫号（F11 全屏，Esc 退出）</source>
        <translation>Full-screen calls on a TV or second monitor (F11 full screen, Esc leaves)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="246"/>
        <source>留观看板(&amp;O)</source>
        <translation>&amp;Observation board</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="249"/>
        <source>留观中的儿童和剩余时间；释放、记录不良反应</source>
        <translation>Children under observation and the time left; release, note a reaction</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="254"/>
        <source>打印排队小票(&amp;I)…</source>
        <translation>Pr&amp;int queue ticket…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="257"/>
        <source>打印今天的排队号（小票或 A4，带二维码）</source>
        <translation>Print today&apos;s queue ticket (receipt or A4, with a QR code)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="262"/>
        <source>接种流程日汇总(&amp;Y)</source>
        <translation>Clinic flow da&amp;y summary</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="265"/>
        <source>各步骤人数、等候时间、过号未到、留观不足</source>
        <translation>Tickets per step, waits, no-shows, short observations</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="270"/>
        <source>异常反应个案(&amp;A)…</source>
        <translation>&amp;AEFI case…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="273"/>
        <source>为选中的一剂填写或打开疑似预防接种异常反应个案报告卡</source>
        <translation>Write or open the AEFI case report card of the selected dose</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="278"/>
        <source>删除剂次(&amp;D)</source>
        <translation>&amp;Delete dose</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="281"/>
        <source>删除选中的接种记录（可追溯）</source>
        <translation>Delete the selected dose (kept in the audit trail)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="286"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="289"/>
        <source>保存正在编辑的内容</source>
        <translation>Save what is being edited</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="294"/>
        <source>打印接种记录(&amp;P)</source>
        <translation>&amp;Print record</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="297"/>
        <source>打印或保存为 PDF：接种记录（接种证页）</source>
        <translation>Print or save as PDF: the vaccination record (certificate page)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="301"/>
        <source>打印回执(&amp;T)</source>
        <translation>Prin&amp;t receipt</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="304"/>
        <source>今天的接种回执及下次接种日期</source>
        <translation>Today&apos;s receipt with the next due date</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="309"/>
        <source>上传个案(&amp;U)</source>
        <translation>&amp;Upload records</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="312"/>
        <source>把待上传的个案、剂次和在册变更上传到免疫规划平台</source>
        <translation>Upload pending children, doses and registration changes to the immunization platform</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="316"/>
        <source>数据备份(&amp;B)</source>
        <translation>&amp;Back up data</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="319"/>
        <source>立即备份数据库（校验后压缩保存）</source>
        <translation>Back up the database now (checked, then compressed)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="324"/>
        <source>加密备份(&amp;E)…</source>
        <translation>&amp;Encrypted backup…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="327"/>
        <source>用密码加密备份文件（拷出本机的备份请加密）</source>
        <translation>Encrypt the backup file with a passphrase (do this for backups that leave this PC)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="332"/>
        <source>恢复备份(&amp;R)…</source>
        <translation>&amp;Restore backup…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="335"/>
        <source>校验备份后用它替换当前数据库（先另存安全副本）</source>
        <translation>Check a backup, then replace the current database with it (a safety copy is kept first)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="340"/>
        <source>导入(&amp;I)…</source>
        <translation>&amp;Import…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="343"/>
        <source>从 CSV/JSON 文件导入儿童或接种记录（可取消；再次导入同一文件从中断处继续）</source>
        <translation>Import children or doses from a CSV/JSON file (can be cancelled; importing the same file again continues)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="348"/>
        <source>安装升级包(&amp;G)…</source>
        <translation>Install up&amp;grade…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="351"/>
        <source>安装县疾控下发的签名升级包</source>
        <translation>Install a signed upgrade package from the county CDC</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="356"/>
        <source>配置工具(&amp;C)…</source>
        <translation>&amp;Configuration…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="359"/>
        <source>单位编码、区域划分、数据与备份文件夹、平台地址</source>
        <translation>Unit code, areas, data and backup folders, platform address</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="364"/>
        <source>数据清理(&amp;D)…</source>
        <translation>&amp;Data cleaning…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="367"/>
        <source>疑似重复个案的合并与撤销、数据质量检查</source>
        <translation>Merge (and undo) probable duplicate children; data-quality check</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="372"/>
        <source>用户管理(&amp;M)…</source>
        <translation>User &amp;management…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="375"/>
        <source>新建用户、修改角色、停用、解锁、重设密码（系统管理员）</source>
        <translation>Create users, change roles, disable, unlock, reset passwords (system administrator)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="380"/>
        <source>修改密码(&amp;W)…</source>
        <translation>Change pass&amp;word…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="383"/>
        <source>修改自己的登录密码</source>
        <translation>Change your own login password</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="388"/>
        <source>设置(&amp;O)</source>
        <translation>Settings (&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="391"/>
        <source>显示字段、快捷键、语言</source>
        <translation>Fields, shortcut keys, language</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="393"/>
        <source>退出(&amp;X)</source>
        <translation>E&amp;xit</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="396"/>
        <source>转到基本资料(&amp;B)</source>
        <translation>Go to &amp;basic data</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="399"/>
        <source>光标移到左侧基本资料，回车修改字段</source>
        <translation>Keyboard to the basic data on the left; Enter edits a field</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="404"/>
        <source>转到接种登记(&amp;J)</source>
        <translation>Go to the vaccination &amp;grid</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="407"/>
        <source>光标移到接种登记表格</source>
        <translation>Keyboard to the vaccination grid</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="412"/>
        <source>下一个面板</source>
        <translation>Next panel</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="415"/>
        <source>基本资料 → 接种登记 → 工作提醒，依次切换</source>
        <translation>Basic data → vaccination grid → work reminders, in turn</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="420"/>
        <source>上一个面板</source>
        <translation>Previous panel</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="423"/>
        <source>反方向切换面板</source>
        <translation>Panels in the other direction</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="429"/>
        <source>取号(&amp;T)</source>
        <translation>&amp;Take a ticket</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="432"/>
        <source>为当前儿童取今天的号（登记台、预检台、综合）</source>
        <translation>Today&apos;s ticket for the current child (registration, pre-check or combined desk)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="437"/>
        <source>叫下一位(&amp;H)</source>
        <translation>Call next (&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="440"/>
        <source>叫本工作台的下一个号，并打开该儿童</source>
        <translation>Call this desk&apos;s next ticket and open that child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="445"/>
        <source>重呼(&amp;Y)</source>
        <translation>Call again (&amp;Y)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="448"/>
        <source>再叫一次选中的号</source>
        <translation>Call the selected ticket again</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="453"/>
        <source>过号(&amp;G)</source>
        <translation>Missed (&amp;G)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="456"/>
        <source>叫号未到：回到队尾，过号 3 次取消</source>
        <translation>Called but not here: back to the end of the queue; cancelled after 3 misses</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="461"/>
        <source>完成并转下一步(&amp;W)</source>
        <translation>Finish and pass on (&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="464"/>
        <source>本步骤完成，转到下一步（留观未满时间需填写原因）</source>
        <translation>This step is done: on to the next (leaving observation early needs a reason)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="469"/>
        <source>退回(&amp;B)…</source>
        <translation>Send &amp;back…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="472"/>
        <source>退回到之前的步骤（需填写原因）</source>
        <translation>Back to an earlier step (with a reason)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="477"/>
        <source>取消号(&amp;C)…</source>
        <translation>&amp;Cancel ticket…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="480"/>
        <source>取消选中的号（今天不再接种）</source>
        <translation>Cancel the selected ticket (no vaccination today)</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="485"/>
        <source>转到工作台队列(&amp;Q)</source>
        <translation>Go to the desk &amp;queue</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="488"/>
        <source>光标移到本工作台的排队列表，回车打开儿童</source>
        <translation>Keyboard to this desk&apos;s queue; Enter opens the child</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="493"/>
        <source>切换工作台(&amp;D)…</source>
        <translation>Switch &amp;desk…</translation>
    </message>
    <message>
        <location filename="../../ui/actions.py" line="496"/>
        <source>选择本机的工作台：预检台、登记台、接种台、留观台或综合</source>
        <translation>Choose this PC&apos;s desk: pre-check, registration, vaccination, observation or combined</translation>
    </message>
</context>
<context>
    <name>AefiCard</name>
    <message>
        <location filename="../../ui/aefi/card.py" line="76"/>
        <source>疑似预防接种异常反应个案</source>
        <translation>AEFI case (adverse event following immunization)</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="99"/>
        <source>临床经过（如 注射后 2 小时体温 39 °C，全身皮疹）</source>
        <translation>Clinical course (e.g. 39 °C two hours after the injection, rash all over)</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="103"/>
        <source>群体性反应</source>
        <translation>Group event</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="118"/>
        <source>随访情况</source>
        <translation>Follow-up findings</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="121"/>
        <source>添加随访(&amp;F)</source>
        <translation>Add &amp;follow-up</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="125"/>
        <source>保存 Ctrl+S</source>
        <translation>Save Ctrl+S</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="127"/>
        <source>已报告(&amp;R)</source>
        <translation>&amp;Reported</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="128"/>
        <source>导出 xlsx(&amp;X)…</source>
        <translation>E&amp;xport xlsx…</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="129"/>
        <source>打印(&amp;P)…</source>
        <translation>&amp;Print…</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="130"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="143"/>
        <source>儿童</source>
        <translation>Child</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="144"/>
        <source>接种(&amp;D)</source>
        <translation>&amp;Dose</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="145"/>
        <source>发病时间(&amp;O)</source>
        <translation>&amp;Onset</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="146"/>
        <source>发现时间(&amp;I)</source>
        <translation>D&amp;iscovered</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="147"/>
        <source>主要症状(&amp;Y)</source>
        <translation>Main s&amp;ymptoms</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="148"/>
        <source>临床经过(&amp;T)</source>
        <translation>Clinical course (&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="149"/>
        <source>初步诊断(&amp;G)</source>
        <translation>Dia&amp;gnosis</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="154"/>
        <source>严重程度(&amp;V)</source>
        <translation>Se&amp;verity</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="157"/>
        <source>转归(&amp;U)</source>
        <translation>O&amp;utcome</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="158"/>
        <source>报告人(&amp;E)</source>
        <translation>R&amp;eporter</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="159"/>
        <source>报告时限</source>
        <translation>Reporting limit</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="171"/>
        <source>随访记录</source>
        <translation>Follow-ups</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="239"/>
        <source>⚠ 同批号聚集：30 天内同一批号另有 %1 例（%2），请核查该批疫苗并评估是否为群体性 AEFI</source>
        <translation>⚠ Batch cluster: %1 more case(s) of this batch within 30 days (%2); check the batch and consider a group AEFI report</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="292"/>
        <source>没有可选的接种记录</source>
        <translation>No dose to choose</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="312"/>
        <source>已保存。报告时限：%1</source>
        <translation>Saved. Report by %1</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="324"/>
        <source>已标记为已报告。</source>
        <translation>Marked as reported.</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="342"/>
        <source>已添加随访记录。</source>
        <translation>Follow-up added.</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="348"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
    <message>
        <location filename="../../ui/aefi/card.py" line="359"/>
        <source>导出个案报告卡</source>
        <translation>Export the case report card</translation>
    </message>
</context>
<context>
    <name>CallingScreen</name>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="69"/>
        <source>叫号屏</source>
        <extracomment>calls shown under the newest one</extracomment>
        <translation>Calling screen</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="73"/>
        <source>叫号</source>
        <translation>Calling</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="81"/>
        <source>请稍候</source>
        <translation>Please wait</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="106"/>
        <source>语音播报(&amp;S)</source>
        <translation>&amp;Speech</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="110"/>
        <source>全屏(&amp;F)</source>
        <translation>&amp;Full screen</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="112"/>
        <source>关闭(&amp;C)</source>
        <translation>&amp;Close</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="143"/>
        <source>请留意叫号</source>
        <translation>Please watch for your number</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="151"/>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="152"/>
        <source>%1 下一位：%2</source>
        <translation>%1 next: %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/calling_screen.py" line="154"/>
        <source>等候 %1 人</source>
        <translation>%1 waiting</translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <location filename="../../ui/users_dialog.py" line="261"/>
        <source>修改密码</source>
        <translation>Change password</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="262"/>
        <source>用户名：%1</source>
        <translation>User name: %1</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="269"/>
        <source>当前密码：</source>
        <translation>Current password:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="263"/>
        <source>新密码：</source>
        <translation>New password:</translation>
    </message>
</context>
<context>
    <name>ChangeQueryScreen</name>
    <message>
        <location filename="../../ui/queries/changes.py" line="39"/>
        <source>儿童编码</source>
        <translation>Child code</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="40"/>
        <source>日期从</source>
        <translation>Date from</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="41"/>
        <source>到</source>
        <translation>to</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="42"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="43"/>
        <source>操作员</source>
        <translation>Operator</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="44"/>
        <source>儿童</source>
        <translation>Child</translation>
    </message>
</context>
<context>
    <name>ChildInfoModel</name>
    <message>
        <location filename="../../ui/child/panel.py" line="102"/>
        <source>双击修改</source>
        <extracomment>(field key, new value) → error message or None when saved</extracomment>
        <translation>Double-click to edit</translation>
    </message>
</context>
<context>
    <name>ChildPanel</name>
    <message>
        <location filename="../../ui/child/panel.py" line="223"/>
        <source>双击或按回车修改字段</source>
        <translation>Double-click or press Enter to edit a field</translation>
    </message>
    <message>
        <location filename="../../ui/child/panel.py" line="245"/>
        <source>不能保存</source>
        <translation>Cannot save</translation>
    </message>
</context>
<context>
    <name>CleaningScreen</name>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="48"/>
        <source>数据清理</source>
        <translation>Data cleaning</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="50"/>
        <source>疑似重复个案</source>
        <translation>Probable duplicates</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="51"/>
        <source>数据质量</source>
        <translation>Data quality</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="67"/>
        <source>查找疑似重复(&amp;F)</source>
        <translation>&amp;Find probable duplicates</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="73"/>
        <source>保留</source>
        <translation>Keep</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="73"/>
        <source>并入</source>
        <translation>Merge in</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="74"/>
        <location filename="../../ui/queries/cleaning.py" line="113"/>
        <source>儿童编码</source>
        <translation>Child code</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="74"/>
        <location filename="../../ui/queries/cleaning.py" line="113"/>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="74"/>
        <source>出生日期</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="74"/>
        <source>母亲</source>
        <translation>Mother</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="74"/>
        <source>剂次</source>
        <translation>Doses</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="76"/>
        <source>相似度</source>
        <translation>Score</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="76"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="81"/>
        <source>合并所选（并入“保留”个案）(&amp;M)</source>
        <translation>&amp;Merge selected (into the kept record)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="82"/>
        <source>对调保留与并入(&amp;S)</source>
        <translation>&amp;Swap kept and merged</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="89"/>
        <source>最近的合并：</source>
        <translation>Recent merges:</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="91"/>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="91"/>
        <source>保留个案</source>
        <translation>Kept record</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="91"/>
        <source>并入个案</source>
        <translation>Merged record</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="91"/>
        <source>操作员</source>
        <translation>Operator</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="91"/>
        <source>已撤销</source>
        <translation>Undone</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="94"/>
        <source>撤销所选合并(&amp;U)</source>
        <translation>&amp;Undo selected merge</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="106"/>
        <source>检查数据质量(&amp;C)</source>
        <translation>&amp;Check data quality</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="113"/>
        <source>问题</source>
        <translation>Issue</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="113"/>
        <source>详情</source>
        <translation>Details</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="118"/>
        <source>月份</source>
        <translation>Month</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="118"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="118"/>
        <source>本单位接种</source>
        <translation>Given here</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="118"/>
        <source>无追溯码</source>
        <translation>No trace code</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="118"/>
        <source>追溯码超量使用</source>
        <translation>Trace code over-used</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="128"/>
        <source>正在查找…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="138"/>
        <source>疑似重复 %1 对</source>
        <translation>%1 probable duplicate pairs</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="163"/>
        <source>请先选择一对疑似重复个案</source>
        <translation>Select a pair of probable duplicates first</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="166"/>
        <source>把 %1（%2）并入 %3（%4）？剂次与变更记录将移到保留个案，并入个案标记为删除；可以撤销。</source>
        <translation>Merge %1 (%2) into %3 (%4)? Doses and change history move to the kept record and the merged one is marked deleted; this can be undone.</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="169"/>
        <source>合并个案</source>
        <translation>Merge records</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="181"/>
        <source>已合并：%1 并入 %2，移入剂次 %3 条</source>
        <translation>Merged: %1 into %2, %3 doses moved</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="207"/>
        <source>请先选择一次合并</source>
        <translation>Select a merge first</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="216"/>
        <source>已撤销合并：%1 恢复为独立个案</source>
        <translation>Merge undone: %1 is a separate record again</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="222"/>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="229"/>
        <source>已检查 %1 名儿童：</source>
        <translation>%1 children checked: </translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="230"/>
        <source>本单位接种无追溯码 %1</source>
        <translation>given here without a trace code %1</translation>
    </message>
    <message>
        <location filename="../../ui/queries/cleaning.py" line="231"/>
        <source>追溯码超量使用 %1</source>
        <translation>trace code over-used %1</translation>
    </message>
</context>
<context>
    <name>Codes</name>
    <message>
        <location filename="../../ui/code_labels.py" line="12"/>
        <source>男</source>
        <translation>Male</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="13"/>
        <source>女</source>
        <translation>Female</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="14"/>
        <source>本地</source>
        <translation>Local</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="15"/>
        <source>流动</source>
        <translation>Floating</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="16"/>
        <source>临时</source>
        <translation>Temporary</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="17"/>
        <source>迁出</source>
        <translation>Moved out</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="18"/>
        <source>临时外转</source>
        <translation>Temporarily out</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="19"/>
        <source>死亡</source>
        <translation>Deceased</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="20"/>
        <source>删除</source>
        <translation>Deleted</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="21"/>
        <source>入学</source>
        <translation>At school</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="22"/>
        <source>入托</source>
        <translation>At nursery</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="23"/>
        <source>异地接种</source>
        <translation>Vaccinated elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="24"/>
        <source>临时接种</source>
        <translation>Temporary vaccination</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="25"/>
        <source>外地转来</source>
        <translation>Moved in</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="26"/>
        <source>不详</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="27"/>
        <source>阴性</source>
        <translation>Negative</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="28"/>
        <source>阳性</source>
        <translation>Positive</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="29"/>
        <source>常规</source>
        <translation>Routine</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="30"/>
        <source>加强</source>
        <translation>Booster</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="31"/>
        <source>强化</source>
        <translation>Campaign</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="32"/>
        <source>应急</source>
        <translation>Emergency</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="33"/>
        <source>防病需要</source>
        <translation>Outbreak control</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="34"/>
        <source>补种</source>
        <translation>Catch-up</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="51"/>
        <source>左上臂</source>
        <translation>Left upper arm</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="52"/>
        <source>右上臂</source>
        <translation>Right upper arm</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="53"/>
        <source>左大腿</source>
        <translation>Left thigh</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="54"/>
        <source>右大腿</source>
        <translation>Right thigh</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="55"/>
        <source>口服</source>
        <translation>Oral</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="56"/>
        <source>臀部</source>
        <translation>Buttock</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="57"/>
        <source>肌内注射</source>
        <translation>Intramuscular</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="58"/>
        <source>皮下注射</source>
        <translation>Subcutaneous</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="59"/>
        <source>皮内注射</source>
        <translation>Intradermal</translation>
    </message>
</context>
<context>
    <name>ConfigDialog</name>
    <message>
        <location filename="../../ui/config_dialog.py" line="50"/>
        <source>配置工具</source>
        <translation>Configuration</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="56"/>
        <source>接种单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="61"/>
        <source>%1 年编码表</source>
        <translation>%1 code list</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="63"/>
        <source>输入编码开头、单位名称或县区查找</source>
        <translation>Type the start of a code, a unit name or a county to search</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="74"/>
        <source>允许编码表中没有的编码（请先与县级疾控核对）</source>
        <translation>Allow codes not in the code list (check with the county CDC first)</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="75"/>
        <source>单位编码(&amp;C)：</source>
        <translation>Unit &amp;code:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="76"/>
        <source>单位名称(&amp;N)：</source>
        <translation>Unit &amp;name:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="85"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="92"/>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="93"/>
        <source>添加</source>
        <translation>Add</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="94"/>
        <source>改名为上面的名称</source>
        <translation>Rename to the name above</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="95"/>
        <source>停用/启用</source>
        <translation>Disable/enable</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="107"/>
        <source>文件夹与平台</source>
        <translation>Folders and platform</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="112"/>
        <source>更改…</source>
        <translation>Change…</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="116"/>
        <source>数据文件夹：</source>
        <translation>Data folder:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="120"/>
        <source>postgresql://用户:密码@服务器:5432/epimanager（留空：单机版）</source>
        <translation>postgresql://user:password@server:5432/epimanager (empty: standalone)</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="121"/>
        <source>连接并使用(&amp;S)</source>
        <translation>Connect and &amp;use</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="125"/>
        <source>数据库服务器：</source>
        <translation>Database server:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="132"/>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="136"/>
        <source>备份文件夹(&amp;B)：</source>
        <translation>&amp;Backup folder:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="138"/>
        <source>https://平台地址</source>
        <translation>https://platform-address</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="143"/>
        <source>已设置，留空则不修改</source>
        <translation>Set; leave empty to keep</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="143"/>
        <source>令牌/密码</source>
        <translation>Token/password</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="145"/>
        <source>平台地址(&amp;U)：</source>
        <translation>Platform &amp;URL:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="146"/>
        <source>平台用户：</source>
        <translation>Platform user:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="147"/>
        <source>令牌/密码：</source>
        <translation>Token/password:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="152"/>
        <source>接管旧数据…</source>
        <translation>Take over old data…</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="157"/>
        <source>旧安装的数据：</source>
        <translation>Data of an old installation:</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="167"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="168"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="204"/>
        <source>%1（已停用）</source>
        <translation>%1 (disabled)</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="229"/>
        <source>请先在列表中选择要改名的区域划分</source>
        <translation>First choose the area to rename in the list</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="237"/>
        <source>请先在列表中选择区域划分</source>
        <translation>First choose an area in the list</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="244"/>
        <source>选择备份文件夹</source>
        <translation>Choose backup folder</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="249"/>
        <source>选择新的数据文件夹</source>
        <translation>Choose new data folder</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="262"/>
        <source>已设置数据库：%1；重新启动 EpiManager 后生效。</source>
        <translation>Database set to %1; takes effect when EpiManager restarts.</translation>
    </message>
    <message>
        <location filename="../../ui/config_dialog.py" line="272"/>
        <source>数据库已复制到 %1；重新启动 EpiManager 后使用新文件夹，旧文件夹保持不变。</source>
        <translation>Database copied to %1; EpiManager uses the new folder after restarting, the old folder is left as it is.</translation>
    </message>
</context>
<context>
    <name>ConsentDialog</name>
    <message>
        <location filename="../../ui/consent/dialog.py" line="64"/>
        <source>知情告知 · %1（%2 号）</source>
        <translation>Informed consent · %1 (ticket %2)</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="71"/>
        <source>通用告知书：本疫苗尚无专用告知书，请同时阅读疫苗说明书</source>
        <translation>Generic information sheet: this vaccine has no sheet of its own; read the package insert as well</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="83"/>
        <source>同意(&amp;1)</source>
        <translation>Consent (&amp;1)</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="83"/>
        <source>不同意(&amp;2)</source>
        <translation>Refuse (&amp;2)</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="83"/>
        <source>到点再议(&amp;3)</source>
        <translation>Decide at the clinic (&amp;3)</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="91"/>
        <source>纸质签字(&amp;Z)</source>
        <translation>Signed on paper (&amp;Z)</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="97"/>
        <source>不同意的原因（必填），到点再议可写备注</source>
        <translation>Reason for refusal (required); a note for decide-later</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="100"/>
        <source>撤销一笔(&amp;U)</source>
        <translation>&amp;Undo stroke</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="102"/>
        <source>清除签名(&amp;C)</source>
        <translation>&amp;Clear signature</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="107"/>
        <source>监护人签名：</source>
        <translation>Guardian&apos;s signature:</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="118"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="120"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="138"/>
        <source>%1 号&#x3000;%2&#x3000;出生 %3&#x3000;请向监护人告知以下疫苗，并由监护人选择、签字</source>
        <translation>Ticket %1&#x3000;%2&#x3000;born %3&#x3000;Inform the guardian about these vaccines; the guardian chooses and signs</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="160"/>
        <source>未告知</source>
        <translation>not informed</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="189"/>
        <source>告知书版本：%1</source>
        <translation>Information sheet version: %1</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="192"/>
        <source>今日尚未告知</source>
        <translation>Not informed today</translation>
    </message>
    <message>
        <location filename="../../ui/consent/dialog.py" line="198"/>
        <source>已记录：%1（%2 %3，第 %4 版）；再次保存将更改</source>
        <translation>On record: %1 (%2 %3, version %4); saving again changes it</translation>
    </message>
</context>
<context>
    <name>CountDialog</name>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="232"/>
        <source>盘点</source>
        <translation>Stock count</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="237"/>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="238"/>
        <source>实盘数量(&amp;Q)（%1）</source>
        <translation>&amp;Quantity counted (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="239"/>
        <source>差异原因(&amp;R)</source>
        <translation>&amp;Reason for the difference</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="240"/>
        <source>盘点日期</source>
        <translation>Date counted</translation>
    </message>
</context>
<context>
    <name>Crash</name>
    <message>
        <location filename="../../ui/crash.py" line="73"/>
        <source>程序出现意外错误（程序缺陷）。已保存的数据不受影响。
请点“显示详细信息”，复制内容发给技术支持。</source>
        <translation>An unexpected error occurred (a bug). Saved data is not affected.
Click “Show Details…”, copy the text and send it to support.</translation>
    </message>
</context>
<context>
    <name>CurrentChild</name>
    <message>
        <location filename="../../ui/child/controller.py" line="76"/>
        <source>打开个案</source>
        <extracomment>the next visit after today (today&apos;s doses count): the receipt, the record print, the grid today&apos;s visit of the child with its order (登记&apos;s 今日接种安排); None: no ticket today today&apos;s 知情告知 records of the child (the receipt shows them)</extracomment>
        <translation>Open child</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="110"/>
        <source>今日安排（%1）：%2</source>
        <translation>Today&apos;s order (%1): %2</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="131"/>
        <location filename="../../ui/child/controller.py" line="168"/>
        <location filename="../../ui/child/controller.py" line="198"/>
        <source>请先按 F3 查找并打开一个儿童</source>
        <translation>Press F3 to find and open a child first</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="171"/>
        <location filename="../../ui/child/controller.py" line="175"/>
        <source>今日接种安排</source>
        <translation>Today&apos;s order</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="171"/>
        <location filename="../../ui/child/controller.py" line="202"/>
        <source>%1 今天还没有取号</source>
        <translation>%1 has no ticket today</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="174"/>
        <source>%1 号已%2，不能再改今日接种安排</source>
        <translation>Ticket %1 is at %2: today&apos;s order can no longer change</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="189"/>
        <source>（已清空）</source>
        <translation>(cleared)</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="190"/>
        <source>已保存今日接种安排：%1</source>
        <translation>Today&apos;s order saved: %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="200"/>
        <source>知情告知</source>
        <translation>Informed consent</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="205"/>
        <source>%1 号还没有今日接种安排：请先按 Ctrl+O 选择今天要接种的疫苗</source>
        <translation>Ticket %1 has no order for today: press Ctrl+O first to choose today&apos;s vaccines</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="220"/>
        <source>已保存知情告知：%1</source>
        <translation>Informed consent saved: %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="228"/>
        <location filename="../../ui/child/controller.py" line="256"/>
        <source>请先在接种登记表中选中一剂</source>
        <translation>Select a dose in the vaccination grid first</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="245"/>
        <source>已保存：%1 第%2剂 %3</source>
        <translation>Saved: %1 dose %2 %3</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="258"/>
        <source>第%1剂</source>
        <translation>Dose %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="260"/>
        <source>删除接种记录</source>
        <translation>Delete dose</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="260"/>
        <source>删除 %1？
请填写删除原因：</source>
        <translation>Delete %1?
Reason for deleting:</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="273"/>
        <source>不能删除</source>
        <translation>Cannot delete</translation>
    </message>
    <message>
        <location filename="../../ui/child/controller.py" line="279"/>
        <source>已删除：%1</source>
        <translation>Deleted: %1</translation>
    </message>
</context>
<context>
    <name>DaySummaryDialog</name>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="56"/>
        <source>接种流程日汇总</source>
        <translation>Clinic flow day summary</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="62"/>
        <source>日期(&amp;D)：</source>
        <translation>&amp;Date:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="64"/>
        <source>查询(&amp;Q)</source>
        <translation>&amp;Queries</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="65"/>
        <source>导出 Excel(&amp;E)…</source>
        <translation>&amp;Export Excel…</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="76"/>
        <location filename="../../ui/visits/day_summary.py" line="78"/>
        <source>步骤</source>
        <translation>Step</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="76"/>
        <source>人数</source>
        <translation>Count</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="78"/>
        <source>叫号人数</source>
        <translation>Called</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="78"/>
        <source>等候中位数（分钟）</source>
        <translation>Median wait (min)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="78"/>
        <source>第90百分位（分钟）</source>
        <translation>90th percentile (min)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="80"/>
        <source>号</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="80"/>
        <source>留观（分钟）</source>
        <translation>Observed (min)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="80"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="126"/>
        <source>%1：取号 %2 个（预约 %3，现场 %4）；过号未到 %5 个%6</source>
        <translation>%1: %2 tickets (%3 booked, %4 walk-in); %5 no-shows%6</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="139"/>
        <source>留观不足 %1 分钟：%2 人</source>
        <translation>Observed less than %1 minutes: %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="155"/>
        <location filename="../../ui/visits/day_summary.py" line="163"/>
        <source>导出 Excel</source>
        <translation>Export Excel</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="156"/>
        <source>Excel 文件 (*.xlsx)</source>
        <translation>Excel files (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/day_summary.py" line="165"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>DeskChoice</name>
    <message>
        <location filename="../../ui/visits/desk_choice.py" line="32"/>
        <source>不分工作台（不叫号）</source>
        <translation>No desk (no calling)</translation>
    </message>
</context>
<context>
    <name>DeskController</name>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="54"/>
        <source>工作台队列</source>
        <extracomment>How often the queue returns unanswered calls and refreshes its waiting minutes.</extracomment>
        <translation>Desk queue</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="93"/>
        <source>叫下一位</source>
        <translation>Call next</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="94"/>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="95"/>
        <source>过号</source>
        <translation>Missed</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="96"/>
        <source>重呼</source>
        <translation>Call again</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="123"/>
        <source>本机工作台：%1</source>
        <translation>This PC&apos;s desk: %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="159"/>
        <source>本机没有选择工作台：请在 系统 → 切换工作台 选择</source>
        <translation>No desk chosen on this PC: choose one in System → Switch desk</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="177"/>
        <source>请先在队列中选中一个号</source>
        <translation>Select a ticket in the queue first</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="185"/>
        <source>请在登记台、预检台或综合取号</source>
        <translation>Take tickets at the registration, pre-check or combined desk</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="189"/>
        <source>请先按 F3 查找并打开一个儿童，再取号</source>
        <translation>Find and open a child with F3 first, then take the ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="194"/>
        <source>%1 取号：%2（%3等候）</source>
        <translation>%1 took ticket %2 (waiting for %3)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="210"/>
        <source>请 %1 号 %2 到 %3</source>
        <translation>Ticket %1 %2 please go to %3</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="223"/>
        <source>重呼：请 %1 号 %2 到 %3</source>
        <translation>Again: ticket %1 %2 please go to %3</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="234"/>
        <source>%1 过号 %2 次，已取消</source>
        <translation>%1 missed %2 times: cancelled</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="235"/>
        <source>%1 过号（第 %2 次），回到队尾</source>
        <translation>%1 missed (%2×): back to the end of the queue</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="254"/>
        <source>提前结束留观</source>
        <translation>End observation early</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="255"/>
        <source>%1 留观未满 %2 分钟，提前离开的原因：</source>
        <translation>%1 has been observed less than %2 minutes; reason for leaving early:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="263"/>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="264"/>
        <source>%1 已转到 %2</source>
        <translation>%1 passed on to %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="283"/>
        <source>%1 在%2，没有可以退回的步骤</source>
        <translation>%1 is at %2: there is no earlier step to go back to</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="289"/>
        <source>%1 退回到哪一步：</source>
        <translation>Send %1 back to which step:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="290"/>
        <location filename="../../ui/visits/desk_keys.py" line="295"/>
        <source>退回</source>
        <translation>Send back</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="295"/>
        <source>%1 退回到%2的原因：</source>
        <translation>Reason for sending %1 back to %2:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="302"/>
        <source>%1 已退回到 %2</source>
        <translation>%1 sent back to %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="310"/>
        <source>取消号</source>
        <translation>Cancel ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="310"/>
        <source>取消 %1 号（%2）的原因：</source>
        <translation>Reason for cancelling ticket %1 (%2):</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="317"/>
        <source>%1 已取消</source>
        <translation>%1 cancelled</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_keys.py" line="329"/>
        <source>%1 %2 进行中</source>
        <translation>%1 %2 in progress</translation>
    </message>
</context>
<context>
    <name>DeskDialog</name>
    <message>
        <location filename="../../ui/visits/desk_choice.py" line="50"/>
        <source>切换工作台</source>
        <translation>Switch desk</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_choice.py" line="52"/>
        <source>本机在哪个工作台工作？叫号、完成等操作都记在这个工作台名下，下次启动时沿用。</source>
        <translation>Which desk does this PC work at? Calls, hand-offs and the rest are recorded under this desk; it is kept for the next start.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_choice.py" line="56"/>
        <source>工作台(&amp;D)：</source>
        <translation>&amp;Desk:</translation>
    </message>
</context>
<context>
    <name>DeskPanel</name>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="70"/>
        <source>号</source>
        <extracomment>background per status: called (waiting for the child) amber, in progress green</extracomment>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="70"/>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="70"/>
        <source>步骤</source>
        <translation>Step</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="70"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="70"/>
        <source>等候</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="71"/>
        <source>过号</source>
        <translation>Missed</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="71"/>
        <source>工作台</source>
        <translation>Desk</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="98"/>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="110"/>
        <source>%1 分钟</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <location filename="../../ui/visits/desk_panel.py" line="122"/>
        <source>已叫号 %1 · 进行中 %2 · 等候 %3</source>
        <translation>Called %1 · in progress %2 · waiting %3</translation>
    </message>
</context>
<context>
    <name>DoseDialog</name>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="93"/>
        <source>修改接种记录</source>
        <extracomment>the batch proposals for the chosen vaccine have been read and shown</extracomment>
        <translation>Edit dose</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="93"/>
        <source>接种登记</source>
        <translation>Vaccination</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="98"/>
        <source>请选择疫苗</source>
        <translation>Choose a vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="102"/>
        <source>请选择</source>
        <translation>Choose</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="126"/>
        <location filename="../../ui/child/dose_dialog.py" line="389"/>
        <source>本单位</source>
        <translation>This unit</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="127"/>
        <location filename="../../ui/child/dose_dialog.py" line="391"/>
        <source>外地</source>
        <translation>Elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="128"/>
        <source>本单位、外地，或输入接种单位的10位编码</source>
        <translation>This unit, elsewhere, or type the 10-digit unit code</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="136"/>
        <source>按今日安排（%1 号）：%2</source>
        <translation>From today&apos;s order (ticket %1): %2</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="148"/>
        <source>扫码(&amp;Q)：</source>
        <translation>Scan (&amp;Q):</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="150"/>
        <source>疫苗(&amp;V)：</source>
        <translation>&amp;Vaccine:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="151"/>
        <source>剂次(&amp;N)：</source>
        <translation>Dose &amp;number:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="152"/>
        <source>接种属性(&amp;A)：</source>
        <translation>Dose &amp;type:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="153"/>
        <source>接种日期(&amp;D)：</source>
        <translation>&amp;Date:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="154"/>
        <source>批号(&amp;B)：</source>
        <translation>&amp;Batch:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="155"/>
        <source>生产企业(&amp;M)：</source>
        <translation>&amp;Manufacturer:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="156"/>
        <source>失效期(&amp;E)：</source>
        <translation>&amp;Expiry:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="157"/>
        <source>接种部位(&amp;S)：</source>
        <translation>&amp;Site:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="158"/>
        <source>接种途径(&amp;R)：</source>
        <translation>&amp;Route:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="159"/>
        <source>接种护士(&amp;U)：</source>
        <translation>N&amp;urse:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="160"/>
        <source>接种地点(&amp;P)：</source>
        <translation>&amp;Place:</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="166"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="168"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="267"/>
        <source>正在读取可用批号…</source>
        <translation>Reading the batches in use…</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="291"/>
        <source>库存 %1 人份</source>
        <translation>in stock: %1 doses</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="291"/>
        <source>近期使用</source>
        <translation>used lately</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="294"/>
        <source>无可用批号，请输入</source>
        <translation>No batch in use; type one</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="364"/>
        <source>评价：—（不属于免疫程序的系列）</source>
        <translation>Evaluation: — (not part of a schedule series)</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="371"/>
        <source>评价：✗ %1 —— 无效剂次，不计入免疫程序</source>
        <translation>Evaluation: ✗ %1 — invalid dose, does not count</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="374"/>
        <source>评价：✓ %1</source>
        <translation>Evaluation: ✓ %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="385"/>
        <source>失效期格式不正确：%1</source>
        <translation>Expiry date is not valid: %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="417"/>
        <source>请先选择疫苗</source>
        <translation>Choose a vaccine first</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="420"/>
        <source>请选择剂次</source>
        <translation>Choose the dose number</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="428"/>
        <source>扫码核对未通过，不能保存：请换一支疫苗重新扫码</source>
        <translation>The scan check failed, nothing can be saved: scan another vial</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="444"/>
        <source>%1不在 %2 号的今日接种安排中（今日安排：%3）。
仍要登记吗？</source>
        <translation>%1 is not on today&apos;s order of ticket %2 (today&apos;s order: %3).
Record it anyway?</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="447"/>
        <source>今日安排外</source>
        <translation>Not on today&apos;s order</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="451"/>
        <source>%1。作为更正/补录保存吗？</source>
        <translation>%1. Save it as a correction / back-entry?</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="452"/>
        <source>重复剂次</source>
        <translation>Duplicate dose</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="457"/>
        <source>这一剂评价为“%1”，是无效剂次，不计入免疫程序。
仍要保存吗？</source>
        <translation>This dose is evaluated as “%1”: an invalid dose that does not count.
Save it anyway?</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="460"/>
        <source>无效剂次</source>
        <translation>Invalid dose</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="470"/>
        <source>同一天已有%1</source>
        <translation>The same day already has %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/dose_dialog.py" line="470"/>
        <source>该儿童已有有效的%1</source>
        <translation>The child already has a valid %1</translation>
    </message>
</context>
<context>
    <name>DoseQueryScreen</name>
    <message>
        <location filename="../../ui/queries/doses.py" line="29"/>
        <source>HepB、乙肝、0201 …</source>
        <translation>HepB, hepatitis B, 0201 …</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="38"/>
        <source>本单位</source>
        <translation>This unit</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="39"/>
        <source>外单位/外地</source>
        <translation>Other unit / elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="41"/>
        <source>接种日期从</source>
        <translation>Vaccination date from</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="42"/>
        <source>到</source>
        <translation>to</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="43"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="44"/>
        <source>批号</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="45"/>
        <source>接种护士</source>
        <translation>Nurse</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="46"/>
        <source>接种属性</source>
        <translation>Dose attribute</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="47"/>
        <source>接种地点</source>
        <translation>Place</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="48"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
</context>
<context>
    <name>Fields</name>
    <message>
        <location filename="../../ui/child/fields.py" line="53"/>
        <source>1天</source>
        <translation>1 day</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="54"/>
        <source>%1天</source>
        <translation>%1 days</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="59"/>
        <source>1个月</source>
        <translation>1 month</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="60"/>
        <source>%1个月</source>
        <translation>%1 months</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="61"/>
        <source>%1岁%2个月</source>
        <translation>%1 y %2 m</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="63"/>
        <source>%1岁</source>
        <translation>%1 years</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="82"/>
        <source>儿童编码</source>
        <translation>Child code</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="83"/>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="84"/>
        <source>性别</source>
        <translation>Sex</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="85"/>
        <source>出生日期</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="86"/>
        <source>年龄</source>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="87"/>
        <source>母亲姓名</source>
        <translation>Mother</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="88"/>
        <source>父亲姓名</source>
        <translation>Father</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="89"/>
        <source>联系电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="90"/>
        <source>身份证号</source>
        <translation>ID number</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="91"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="92"/>
        <source>家庭住址</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="94"/>
        <source>居住属性</source>
        <translation>Residence</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="96"/>
        <source>在册情况</source>
        <translation>Register status</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="97"/>
        <source>出生证号</source>
        <translation>Birth certificate no.</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="98"/>
        <source>出生时间</source>
        <translation>Birth time</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="101"/>
        <source>出生体重(kg)</source>
        <translation>Birth weight (kg)</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="105"/>
        <source>母亲身份证号</source>
        <translation>Mother ID number</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="106"/>
        <source>父亲身份证号</source>
        <translation>Father ID number</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="107"/>
        <source>户籍县国标</source>
        <translation>Hukou county code</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="108"/>
        <source>幼儿园/学校</source>
        <translation>Nursery/school</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="111"/>
        <source>母亲HBsAg</source>
        <translation>Mother HBsAg</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="115"/>
        <source>过敏史</source>
        <translation>Allergies</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="116"/>
        <source>备注</source>
        <translation>Remark</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="117"/>
        <source>管理单位</source>
        <translation>Managing unit</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="118"/>
        <source>建档日期</source>
        <translation>Registered on</translation>
    </message>
    <message>
        <location filename="../../ui/child/fields.py" line="144"/>
        <source>出生体重应为数字，如 3.2</source>
        <extracomment>Choices for the combo-box editors: (stored value, label source text)</extracomment>
        <translation>Birth weight must be a number, e.g. 3.2</translation>
    </message>
</context>
<context>
    <name>FirstAdminDialog</name>
    <message>
        <location filename="../../ui/login_dialog.py" line="113"/>
        <source>首次使用：创建系统管理员</source>
        <translation>First use: create the system administrator</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="118"/>
        <source>本机多人共用并保存儿童个人信息，请先创建系统管理员账户。系统管理员可以在用户管理中添加业务管理员和普通用户。</source>
        <translation>Several people share this computer and it holds children&apos;s personal data: first create the system administrator account. The administrator can add business administrators and users in user management.</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="126"/>
        <source>登录用，如 wanghs</source>
        <translation>For logging in, e.g. wanghs</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="130"/>
        <source>真实姓名，接种记录上的接种护士</source>
        <translation>Real name, the nurse on dose records</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="134"/>
        <source>至少 %1 个字符</source>
        <translation>at least %1 characters</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="139"/>
        <source>用户名(&amp;U)：</source>
        <translation>&amp;User name:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="140"/>
        <source>姓名(&amp;N)：</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="141"/>
        <source>密码(&amp;P)：</source>
        <translation>&amp;Password:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="142"/>
        <source>再输入一次(&amp;R)：</source>
        <translation>&amp;Repeat:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="148"/>
        <source>创建并登录</source>
        <translation>Create and log in</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="149"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="156"/>
        <source>请填写姓名：接种记录和打印中的接种护士用真实姓名</source>
        <translation>Please enter the real name: dose records and prints name the nurse by it</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="160"/>
        <source>两次输入的密码不一致</source>
        <translation>The two passwords differ</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <location filename="../../ui/first_run.py" line="20"/>
        <source>首次使用：设置接种单位</source>
        <translation>First use: set up the vaccination unit</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="23"/>
        <source>数据库位置：%1</source>
        <translation>Database location: %1</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="27"/>
        <source>10位单位编码，如 3201020101</source>
        <translation>10-digit unit code, e.g. 3201020101</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="30"/>
        <source>单位名称，如 某某社区卫生服务中心预防接种门诊</source>
        <translation>Unit name, e.g. Community Health Centre Vaccination Clinic</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="32"/>
        <source>单位编码(&amp;C)：</source>
        <translation>Unit &amp;code:</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="33"/>
        <source>单位名称(&amp;N)：</source>
        <translation>Unit &amp;name:</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="41"/>
        <source>创建数据库</source>
        <translation>Create database</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="42"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>Fixes</name>
    <message>
        <location filename="../../ui/fixes.py" line="12"/>
        <source>请在 系统 → 配置工具 的“文件夹与平台”中设置平台地址和令牌</source>
        <translation>Set the platform address and token in System → Configuration tool, “Folders and platform”</translation>
    </message>
    <message>
        <location filename="../../ui/fixes.py" line="13"/>
        <source>请在 系统 → 配置工具 中添加区域划分</source>
        <translation>Add the areas in System → Configuration tool</translation>
    </message>
    <message>
        <location filename="../../ui/fixes.py" line="14"/>
        <source>确认无误请勾选“这是其他接种单位的备份，我确认要恢复”</source>
        <translation>If this is right, tick “This is another unit’s backup, I confirm the restore”</translation>
    </message>
    <message>
        <location filename="../../ui/fixes.py" line="15"/>
        <source>确认无误后勾选“允许编码表中没有的编码”</source>
        <translation>If this is right, tick “Allow a code that is not in the list”</translation>
    </message>
</context>
<context>
    <name>GapQueryScreen</name>
    <message>
        <location filename="../../ui/queries/gap.py" line="36"/>
        <source>疫苗或系列：HepB、MMR、麻腮风 …（空 = 全部）</source>
        <translation>Vaccine or series: HepB, MMR … (empty = all)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="38"/>
        <source>接种日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="39"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="40"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="41"/>
        <source>打印通知单…</source>
        <translation>Print call-up list…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="63"/>
        <source>预防接种通知单（%1）</source>
        <translation>Vaccination Call-up List (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="64"/>
        <source>接种日期：%1&#x3000;共 %2 人</source>
        <translation>Vaccination date: %1&#x3000;%2 children</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="70"/>
        <source>通知单已保存到 %1</source>
        <translation>Call-up list saved to %1</translation>
    </message>
</context>
<context>
    <name>Grid</name>
    <message>
        <location filename="../../ui/child/model.py" line="44"/>
        <source>常规</source>
        <extracomment>Column groups of dose attributes (SEED: 常规 / 应急 / 强化 / 防病需要). 加强 and 补种 are doses of the routine schedule, so they sit with 常规.</extracomment>
        <translation>Routine</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="48"/>
        <source>应急</source>
        <translation>Emergency</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="49"/>
        <source>强化</source>
        <translation>Campaign</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="50"/>
        <source>防病需要</source>
        <translation>Outbreak control</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="56"/>
        <source>超期未种</source>
        <extracomment>Forecast state → (label source text, background colour). Never colour alone.</extracomment>
        <translation>Overdue</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="57"/>
        <source>应种</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="58"/>
        <source>未到期</source>
        <translation>Not yet</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="59"/>
        <source>已完成</source>
        <translation>Complete</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="60"/>
        <source>超龄不再接种</source>
        <translation>Aged out</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="61"/>
        <source>暂缓</source>
        <translation>deferred</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="62"/>
        <source>禁忌</source>
        <translation>contraindicated</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="70"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="71"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="72"/>
        <source>下一剂</source>
        <translation>Next dose</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="73"/>
        <source>最早日期</source>
        <translation>Earliest</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="253"/>
        <source>同一剂次的另一条记录（无效后重种或更正）</source>
        <extracomment>(group index, dose-column number (1-based), repeat) → dose; in 常规 the column number is the dose number on record, and a second record of one number (a repeat after an invalid dose, a confirmed correction) takes a repeat column under the same number</extracomment>
        <translation>Another record of the same dose number (repeated after an invalid dose, or a correction)</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="272"/>
        <source>不预测</source>
        <translation>No forecast</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="277"/>
        <location filename="../../ui/child/model.py" line="355"/>
        <source>第%1剂</source>
        <translation>Dose %1</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="298"/>
        <source>该疫苗不在免疫程序中，不做接种预测</source>
        <translation>This vaccine is not in the immunization schedule: no forecast</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="321"/>
        <source>外地</source>
        <translation>Elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="328"/>
        <source>本单位</source>
        <translation>This unit</translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="356"/>
        <source>日期：</source>
        <translation>Date: </translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="357"/>
        <source>属性：</source>
        <translation>Type: </translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="358"/>
        <source>地点：</source>
        <translation>Place: </translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="362"/>
        <source>评价：</source>
        <translation>Evaluation: </translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="365"/>
        <source>批号：</source>
        <translation>Batch: </translation>
    </message>
    <message>
        <location filename="../../ui/child/model.py" line="370"/>
        <source>接种护士：</source>
        <translation>Nurse: </translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="37"/>
        <source>及时</source>
        <translation>On time</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="38"/>
        <source>合格</source>
        <translation>Valid</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="39"/>
        <source>超期</source>
        <translation>Late</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="40"/>
        <source>首针提前</source>
        <translation>Dose 1 too early</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="41"/>
        <source>未到月龄</source>
        <translation>Too young</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="42"/>
        <source>间短</source>
        <translation>Interval too short</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="43"/>
        <source>活苗间隔不足</source>
        <translation>Live vaccines too close</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="44"/>
        <source>免疫球蛋白间隔不足</source>
        <translation>Too soon after immunoglobulin</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="45"/>
        <source>超龄</source>
        <translation>Too old</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="46"/>
        <source>多余剂次</source>
        <translation>Extra dose</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="47"/>
        <source>品种不符</source>
        <translation>Wrong product</translation>
    </message>
    <message>
        <location filename="../../ui/code_labels.py" line="48"/>
        <source>不适用</source>
        <translation>Not applicable</translation>
    </message>
</context>
<context>
    <name>IdleLock</name>
    <message>
        <location filename="../../ui/lock_screen.py" line="66"/>
        <source>已锁定</source>
        <translation>Locked</translation>
    </message>
</context>
<context>
    <name>ImportRunner</name>
    <message>
        <location filename="../../ui/import_runner.py" line="56"/>
        <source>选择导入文件（儿童或接种记录）</source>
        <extracomment>bad rows listed in the result box&apos;s details (the CLI lists them all) the last progress shown: (rows done, rows in the file)</extracomment>
        <translation>Choose a file to import (children or doses)</translation>
    </message>
    <message>
        <location filename="../../ui/import_runner.py" line="56"/>
        <source>CSV 或 JSON 文件 (*.csv *.json)</source>
        <translation>CSV or JSON files (*.csv *.json)</translation>
    </message>
    <message>
        <location filename="../../ui/import_runner.py" line="66"/>
        <source>正在导入 %1…</source>
        <translation>Importing %1…</translation>
    </message>
    <message>
        <location filename="../../ui/import_runner.py" line="66"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/import_runner.py" line="67"/>
        <location filename="../../ui/import_runner.py" line="99"/>
        <location filename="../../ui/import_runner.py" line="109"/>
        <source>导入</source>
        <translation>Import</translation>
    </message>
    <message>
        <location filename="../../ui/import_runner.py" line="83"/>
        <source>正在导入 %1：%2 / %3 行</source>
        <translation>Importing %1: %2 / %3 rows</translation>
    </message>
</context>
<context>
    <name>LedgerDialog</name>
    <message>
        <location filename="../../ui/stock/ledger.py" line="21"/>
        <source>出入库明细 — %1 批号 %2</source>
        <translation>Ledger — %1 batch %2</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="24"/>
        <source>日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="25"/>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="26"/>
        <source>数量</source>
        <translation>Quantity</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="27"/>
        <source>结存</source>
        <translation>Balance</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="28"/>
        <source>单据号</source>
        <translation>Document no.</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="29"/>
        <source>供货/调入单位</source>
        <translation>Supplier / receiving unit</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="30"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="31"/>
        <source>操作员</source>
        <translation>Operator</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="58"/>
        <source>%1 条记录，单位：%2</source>
        <translation>%1 lines, unit: %2</translation>
    </message>
    <message>
        <location filename="../../ui/stock/ledger.py" line="62"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>LockDialog</name>
    <message>
        <location filename="../../ui/lock_screen.py" line="38"/>
        <source>已锁定 · 请重新登录</source>
        <extracomment>Events that count as the nurse being at the PC.</extracomment>
        <translation>Locked · please log in again</translation>
    </message>
    <message>
        <location filename="../../ui/lock_screen.py" line="40"/>
        <source>屏幕已因长时间无操作而锁定。</source>
        <translation>The screen was locked after a long time without activity.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/login_dialog.py" line="61"/>
        <source>登录 EpiManager</source>
        <translation>Log in to EpiManager</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="70"/>
        <source>用户名(&amp;U)：</source>
        <translation>&amp;User name:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="71"/>
        <source>密码(&amp;P)：</source>
        <translation>&amp;Password:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="77"/>
        <source>工作台(&amp;D)：</source>
        <translation>&amp;Desk:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="83"/>
        <source>登录</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="85"/>
        <source>退出</source>
        <translation>Exit</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="120"/>
        <source>基本资料</source>
        <extracomment>who works while nobody has logged in (a database without users yet, before the first 系统管理员) How often the window looks for other desks&apos; changes (they show within a second).</extracomment>
        <translation>Basic information</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="109"/>
        <source>快捷栏</source>
        <translation>Shortcut bar</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="20"/>
        <source>系统(&amp;S)</source>
        <translation>&amp;System</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="40"/>
        <source>儿童(&amp;C)</source>
        <translation>&amp;Child</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="51"/>
        <source>接种(&amp;V)</source>
        <translation>&amp;Vaccination</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="70"/>
        <source>查询(&amp;Q)</source>
        <translation>&amp;Queries</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="83"/>
        <source>库存(&amp;K)</source>
        <translation>Stoc&amp;k</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="85"/>
        <source>叫号(&amp;L)</source>
        <translation>Ca&amp;lling</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="136"/>
        <source>显示快捷键提示(&amp;H)</source>
        <translation>Show shortcut &amp;hints</translation>
    </message>
    <message>
        <location filename="../../ui/menus.py" line="140"/>
        <source>视图(&amp;W)</source>
        <translation>Vie&amp;w</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="186"/>
        <source>EpiManager 儿童预防接种信息管理系统 · %1 · %2</source>
        <translation>EpiManager Child Immunization Information System · %1 · %2</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="232"/>
        <source>没有正在编辑的内容</source>
        <translation>Nothing is being edited</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="331"/>
        <source>已新建儿童 %1，编码 %2</source>
        <translation>New child %1 created, code %2</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="345"/>
        <source>工作提醒</source>
        <translation>Work reminders</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="364"/>
        <source>请先在接种登记表中选中一剂</source>
        <translation>Select a dose in the vaccination grid first</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="374"/>
        <location filename="../../ui/main_window.py" line="449"/>
        <source>请先按 F3 查找并打开一个儿童</source>
        <translation>Press F3 to find and open a child first</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="485"/>
        <source>儿童个案 %1 人（本单位管理 %2 人），接种记录 %3 条

按 F3 查找儿童，或按 F2 新建儿童。</source>
        <translation>%1 children (%2 managed here), %3 doses

Press F3 to find a child, or F2 for a new child.</translation>
    </message>
</context>
<context>
    <name>ManagedQueryScreen</name>
    <message>
        <location filename="../../ui/queries/managed.py" line="27"/>
        <source>管理单位编码（空 = 全部）</source>
        <translation>Managing unit code (empty = all)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/managed.py" line="36"/>
        <source>管理单位</source>
        <translation>Managing unit</translation>
    </message>
    <message>
        <location filename="../../ui/queries/managed.py" line="37"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
    <message>
        <location filename="../../ui/queries/managed.py" line="38"/>
        <source>在册情况</source>
        <translation>Register status</translation>
    </message>
</context>
<context>
    <name>MovementDialog</name>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="92"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="93"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>NewChildDialog</name>
    <message>
        <location filename="../../ui/child/new_child.py" line="54"/>
        <source>乙肝疫苗第1剂（HepB）</source>
        <translation>Hepatitis B dose 1 (HepB)</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="55"/>
        <source>卡介苗（BCG）</source>
        <translation>BCG</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="57"/>
        <source>身份证号</source>
        <translation>ID number</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="58"/>
        <source>姓名+出生日期+母亲</source>
        <translation>name + birth date + mother</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="83"/>
        <source>新建儿童</source>
        <translation>New child</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="97"/>
        <source>公斤，如 3.2</source>
        <translation>kg, e.g. 3.2</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="117"/>
        <source>6位县级国标码</source>
        <translation>6-digit county code</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="130"/>
        <source>儿童编码：保存时自动生成（单位编码＋出生年份＋序号）</source>
        <translation>Child code: generated on saving (unit + birth year + serial)</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="150"/>
        <source>姓名(&amp;A)*：</source>
        <translation>N&amp;ame*:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="150"/>
        <source>性别(&amp;X)*：</source>
        <translation>Se&amp;x*:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="151"/>
        <source>出生日期(&amp;B)*：</source>
        <translation>&amp;Birth date*:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="151"/>
        <source>出生时间：</source>
        <translation>Birth time:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="152"/>
        <source>身份证号(&amp;I)：</source>
        <translation>&amp;ID number:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="152"/>
        <source>出生证号：</source>
        <translation>Birth certificate no.:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="153"/>
        <source>母亲姓名(&amp;M)：</source>
        <translation>&amp;Mother:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="153"/>
        <source>母亲身份证号：</source>
        <translation>Mother ID number:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="154"/>
        <source>父亲姓名(&amp;F)：</source>
        <translation>&amp;Father:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="154"/>
        <source>父亲身份证号：</source>
        <translation>Father ID number:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="155"/>
        <source>联系电话(&amp;P)：</source>
        <translation>&amp;Phone:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="155"/>
        <source>出生体重：</source>
        <translation>Birth weight:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="156"/>
        <source>区域划分(&amp;C)：</source>
        <translation>Area (&amp;committee):</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="156"/>
        <source>居住属性：</source>
        <translation>Residence:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="157"/>
        <source>家庭住址：</source>
        <translation>Address:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="157"/>
        <source>户籍县国标：</source>
        <translation>Hukou county code:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="158"/>
        <source>母亲HBsAg：</source>
        <translation>Mother HBsAg:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="158"/>
        <source>过敏史：</source>
        <translation>Allergies:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="166"/>
        <source>备注：</source>
        <translation>Remark:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="169"/>
        <source>同时登记出生时接种</source>
        <translation>Also record the birth doses</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="181"/>
        <source>出生医院（外地）</source>
        <translation>Birth hospital (elsewhere)</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="182"/>
        <source>本单位</source>
        <translation>This unit</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="183"/>
        <source>接种地点：</source>
        <translation>Place:</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="196"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="198"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="245"/>
        <source>已输入 %1 位</source>
        <translation>%1 characters typed</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="256"/>
        <source>✓ 身份证号有效：已填入性别 %1、出生日期 %2</source>
        <translation>✓ Valid ID number: sex %1 and birth date %2 filled in</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="272"/>
        <source>出生体重应为数字，如 3.2</source>
        <translation>Birth weight must be a number, e.g. 3.2</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="330"/>
        <source>⚠ 可能重复（%1）：%2 %3 母亲 %4，编码 %5</source>
        <translation>⚠ Possible duplicate (%1): %2 %3 mother %4, code %5</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="360"/>
        <source>已有相同的儿童：
%1

仍要新建吗？</source>
        <translation>A matching child exists:
%1

Create a new child anyway?</translation>
    </message>
    <message>
        <location filename="../../ui/child/new_child.py" line="361"/>
        <source>可能重复</source>
        <translation>Possible duplicate</translation>
    </message>
</context>
<context>
    <name>NewPasswordDialog</name>
    <message>
        <location filename="../../ui/login_dialog.py" line="216"/>
        <source>再次输入：</source>
        <translation>Repeat:</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="229"/>
        <source>密码至少 %1 个字符</source>
        <translation>The password needs at least %1 characters</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="231"/>
        <source>两次输入的密码不一致</source>
        <translation>The two passwords differ</translation>
    </message>
</context>
<context>
    <name>Notify</name>
    <message>
        <location filename="../../ui/notify.py" line="27"/>
        <source>是(&amp;Y)</source>
        <translation>&amp;Yes</translation>
    </message>
    <message>
        <location filename="../../ui/notify.py" line="28"/>
        <source>否(&amp;N)</source>
        <translation>&amp;No</translation>
    </message>
</context>
<context>
    <name>ObserveBoard</name>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="59"/>
        <location filename="../../ui/visits/observe_board.py" line="165"/>
        <location filename="../../ui/visits/observe_board.py" line="168"/>
        <source>留观看板</source>
        <translation>Observation board</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>号</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>儿童</source>
        <translation>Child</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>开始留观</source>
        <translation>Since</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>已留观</source>
        <translation>Observed</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>剩余</source>
        <translation>Left</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="64"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="113"/>
        <source>没有正在留观的儿童。Esc 关闭。</source>
        <translation>No child under observation. Esc closes.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="76"/>
        <source>↑/↓ 选择，回车 释放（离开），N 记录不良反应，A 异常反应个案，Esc 关闭。</source>
        <translation>↑/↓ choose, Enter release (leave), N note a reaction, A AEFI case, Esc close.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="115"/>
        <source>留观 %1 人；↑/↓ 选择，回车 释放（离开），N 记录不良反应，A 异常反应个案，Esc 关闭。</source>
        <translation>%1 in observation; ↑/↓ choose, Enter release (leave), N note a reaction, A AEFI case, Esc close.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="127"/>
        <location filename="../../ui/visits/observe_board.py" line="128"/>
        <source>%1 分钟</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="128"/>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="129"/>
        <source>已满 %1 分钟，可离开</source>
        <translation>%1 minutes done, may leave</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="129"/>
        <source>留观中</source>
        <translation>Observing</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="158"/>
        <source>提前离开</source>
        <translation>Leaving early</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="158"/>
        <source>请填写提前离开的原因：</source>
        <translation>Why does the child leave early:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="160"/>
        <source>未释放 %1：没有填写原因。</source>
        <translation>%1 not released: no reason given.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="170"/>
        <source>%1 已离开留观。</source>
        <translation>%1 has left observation.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="182"/>
        <location filename="../../ui/visits/observe_board.py" line="191"/>
        <source>不良反应记录</source>
        <translation>Adverse reaction note</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="183"/>
        <source>%1 %2：观察到的反应（如 注射部位红肿、发热、皮疹）</source>
        <translation>%1 %2: the reaction seen (e.g. redness at the site, fever, rash)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="193"/>
        <source>已记录 %1 的不良反应。</source>
        <translation>Reaction of %1 noted.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="207"/>
        <source>异常反应个案</source>
        <translation>AEFI case</translation>
    </message>
    <message>
        <location filename="../../ui/visits/observe_board.py" line="210"/>
        <source>%1 今天没有接种记录，无法填写异常反应个案。</source>
        <translation>%1 has no dose today: no AEFI case can be written.</translation>
    </message>
</context>
<context>
    <name>OrderDialog</name>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="66"/>
        <source>今日接种安排 · %1（%2 号）</source>
        <translation>Today&apos;s order · %1 (ticket %2)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="70"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="70"/>
        <source>剂次</source>
        <translation>Dose</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="70"/>
        <source>接种部位</source>
        <translation>Site</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="73"/>
        <source>今天没有应种疫苗；可在下方添加其他疫苗。</source>
        <translation>Nothing is due today; other vaccines can be added below.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="76"/>
        <source>选择疫苗</source>
        <translation>Choose a vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="80"/>
        <source>添加(&amp;A)</source>
        <translation>&amp;Add</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="84"/>
        <source>其他疫苗(&amp;O)：</source>
        <translation>&amp;Other vaccine:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="96"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="98"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="103"/>
        <source>%1 号&#x3000;%2（%3）&#x3000;出生 %4&#x3000;当前：%5</source>
        <translation>Ticket %1&#x3000;%2 (%3)&#x3000;born %4&#x3000;now: %5</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="113"/>
        <source>勾选今天要接种的疫苗（空格勾选，Tab 改剂次和部位，Enter 保存，Esc 关闭）</source>
        <translation>Check the vaccines to give today (Space checks, Tab to dose and site, Enter saves, Esc closes)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="141"/>
        <source>已接种</source>
        <translation>given</translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="148"/>
        <source>第 </source>
        <translation>dose </translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="149"/>
        <source> 剂</source>
        <translation> </translation>
    </message>
    <message>
        <location filename="../../ui/visits/order_dialog.py" line="173"/>
        <source>请先选择要添加的疫苗</source>
        <translation>Choose the vaccine to add first</translation>
    </message>
</context>
<context>
    <name>OrderedChecklist</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="73"/>
        <source>上移(&amp;U)</source>
        <translation>Move &amp;up</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="74"/>
        <source>下移(&amp;W)</source>
        <translation>Move do&amp;wn</translation>
    </message>
</context>
<context>
    <name>PrecheckDialog</name>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="78"/>
        <source>（%1 号）</source>
        <extracomment>outcome → background colour (always with its word)</extracomment>
        <translation> (ticket %1)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="79"/>
        <source>预检 · %1%2</source>
        <translation>Pre-check · %1%2</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="83"/>
        <source>%1&#x3000;%2&#x3000;出生 %3&#x3000;预检日期 %4</source>
        <translation>%1  %2  born %3  pre-check on %4</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="92"/>
        <source>Y/N 回答所在问题，数字键切换第几题，Enter 或 Ctrl+S 保存，Ctrl+P 打印医学建议书，Esc 关闭</source>
        <translation>Y/N answers the question in focus, a digit toggles that question, Enter or Ctrl+S saves, Ctrl+P prints the medical advice, Esc closes</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="97"/>
        <source>体温(&amp;T)：</source>
        <translation>&amp;Temperature:</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="108"/>
        <source>问卷版本 %1</source>
        <translation>Questionnaire version %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="116"/>
        <source>是</source>
        <translation>yes</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="128"/>
        <source>品名@日期，如 IVIG@2026-11-20</source>
        <translation>product@date, e.g. IVIG@2026-11-20</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="130"/>
        <source>哪种疫苗，如 DTaP 或 百白破（多个用逗号分开）</source>
        <translation>Which vaccine, e.g. DTaP (several separated by commas)</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="152"/>
        <source>保存(&amp;S)</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="154"/>
        <source>打印医学建议书(&amp;P)</source>
        <translation>&amp;Print medical advice</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="157"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="230"/>
        <source>填写体温后显示今天各疫苗能否接种</source>
        <translation>Enter the temperature to see whether today&apos;s vaccines may be given</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="242"/>
        <source>今天没有应种或已安排的疫苗</source>
        <translation>No vaccine due or ordered today</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="249"/>
        <source>发热：全部疫苗暂缓接种</source>
        <translation>Fever: every vaccine deferred</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="256"/>
        <source>暂缓至 %1</source>
        <translation>deferred until %1</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="258"/>
        <source>可接种</source>
        <translation>may be given</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="259"/>
        <source>暂缓</source>
        <translation>deferred</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="260"/>
        <source>禁忌</source>
        <translation>contraindicated</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="268"/>
        <source>请填写体温</source>
        <translation>Enter the temperature</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="292"/>
        <source>已保存（第%1版）。按 Ctrl+P 打印医学建议书，Esc 关闭。</source>
        <translation>Saved (version %1). Ctrl+P prints the medical advice, Esc closes.</translation>
    </message>
    <message>
        <location filename="../../ui/visits/precheck_dialog.py" line="306"/>
        <source>请先保存预检，再打印医学建议书</source>
        <translation>Save the pre-check first, then print the medical advice</translation>
    </message>
</context>
<context>
    <name>Print</name>
    <message>
        <location filename="../../ui/print/documents.py" line="35"/>
        <location filename="../../ui/print/documents.py" line="46"/>
        <location filename="../../ui/print/documents.py" line="209"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="36"/>
        <location filename="../../ui/print/documents.py" line="47"/>
        <location filename="../../ui/print/documents.py" line="210"/>
        <source>剂次</source>
        <translation>Dose</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="37"/>
        <source>接种日期</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="38"/>
        <source>属性</source>
        <translation>Type</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="39"/>
        <source>批号</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="40"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="41"/>
        <source>接种单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="42"/>
        <source>接种护士</source>
        <translation>Nurse</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="43"/>
        <source>评价</source>
        <translation>Evaluation</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="48"/>
        <source>可种日期</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="49"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="88"/>
        <source>外地</source>
        <translation>Elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="134"/>
        <source>目前没有待接种的免疫规划疫苗。</source>
        <translation>No NIP vaccine is due for now.</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="135"/>
        <location filename="../../ui/print/documents.py" line="149"/>
        <location filename="../../ui/print/documents.py" line="192"/>
        <source>第%1剂</source>
        <translation>Dose %1</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="150"/>
        <source>下次接种：%1 起</source>
        <translation>Next visit: from %1</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="152"/>
        <source>届时接种：%1</source>
        <translation>Then: %1</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="172"/>
        <source>打印日期：</source>
        <translation>Printed: </translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="176"/>
        <source>接种记录</source>
        <translation>Doses</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="180"/>
        <source>下次接种</source>
        <translation>Next vaccinations</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="184"/>
        <source>请妥善保管接种证，按时带孩子接种。</source>
        <translation>Please keep the vaccination certificate and come on time.</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="187"/>
        <source>儿童预防接种记录</source>
        <translation>Child Vaccination Record</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="148"/>
        <source>下次接种：暂无</source>
        <translation>Next: none for now</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="203"/>
        <source>已签署知情同意</source>
        <translation>consent signed</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="204"/>
        <source>纸质签字</source>
        <translation>signed on paper</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="205"/>
        <source>拒绝</source>
        <translation>refused</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="206"/>
        <source>到点再议</source>
        <translation>decide at the clinic</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="211"/>
        <location filename="../../ui/print/documents.py" line="220"/>
        <source>知情告知</source>
        <translation>Informed consent</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="239"/>
        <source>儿童：</source>
        <translation>Child: </translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="241"/>
        <source>出生日期：</source>
        <translation>Birth date: </translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="247"/>
        <source>今日接种</source>
        <translation>Given today</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="255"/>
        <source>接种后请在接种单位留观30分钟。</source>
        <translation>Please stay at the clinic for 30 minutes after the vaccination.</translation>
    </message>
    <message>
        <location filename="../../ui/print/documents.py" line="258"/>
        <source>接种回执</source>
        <translation>Vaccination Receipt</translation>
    </message>
    <message>
        <location filename="../../ui/print/table_printer.py" line="79"/>
        <source>第 %1 页 / 共 %2 页</source>
        <translation>Page %1 of %2</translation>
    </message>
    <message>
        <location filename="../../ui/print/table_printer.py" line="83"/>
        <source>（续表）</source>
        <translation> (continued)</translation>
    </message>
    <message>
        <location filename="../../ui/print/table_printer.py" line="153"/>
        <source>无法打开打印机或 PDF 文件</source>
        <translation>Cannot open the printer or the PDF file</translation>
    </message>
</context>
<context>
    <name>Queries</name>
    <message>
        <location filename="../../ui/queries/changes.py" line="17"/>
        <source>基本资料</source>
        <extracomment>The change kinds of :data:`CHANGE_KINDS` (service data), listed for translation.</extracomment>
        <translation>Basic information</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="18"/>
        <source>接种剂次</source>
        <translation>Doses</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="19"/>
        <source>删除个案</source>
        <translation>Deleted children</translation>
    </message>
    <message>
        <location filename="../../ui/queries/changes.py" line="26"/>
        <source>个案变更查询</source>
        <translation>Record changes</translation>
    </message>
    <message>
        <location filename="../../ui/queries/doses.py" line="21"/>
        <source>接种明细查询</source>
        <translation>Dose details</translation>
    </message>
    <message>
        <location filename="../../ui/queries/gap.py" line="29"/>
        <source>免疫空白查询</source>
        <extracomment>Columns printed on the call-up list (indexes into GapQuery.columns).</extracomment>
        <translation>Immunization gaps</translation>
    </message>
    <message>
        <location filename="../../ui/queries/managed.py" line="16"/>
        <source>在册（本单位管理）</source>
        <translation>Registered (managed here)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/managed.py" line="22"/>
        <source>管理门诊查询</source>
        <translation>Managed children</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="36"/>
        <source>（全部）</source>
        <translation>(all)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="65"/>
        <source>查询</source>
        <extracomment>a row was double-clicked: the child&apos;s code the screen&apos;s title (marked with ``QT_TRANSLATE_NOOP(&quot;Queries&quot;, …)``, translated where shown)</extracomment>
        <translation>Query</translation>
    </message>
    <message>
        <location filename="../../ui/queries/status_changes.py" line="21"/>
        <source>在册变更查询</source>
        <translation>Registration changes</translation>
    </message>
</context>
<context>
    <name>QueryScreen</name>
    <message>
        <location filename="../../ui/queries/screen.py" line="75"/>
        <source>查询(&amp;Q)</source>
        <extracomment>a long last column (the query&apos;s column title) that takes the remaining width and wraps</extracomment>
        <translation>&amp;Search</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="76"/>
        <source>导出 Excel…</source>
        <translation>Export Excel…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="77"/>
        <source>导出 CSV…</source>
        <translation>Export CSV…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="78"/>
        <source>打印(&amp;P)…</source>
        <translation>&amp;Print…</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="144"/>
        <source>已导出 %1 行到 %2</source>
        <translation>Exported %1 rows to %2</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="177"/>
        <source>共 %1 行</source>
        <translation>%1 rows</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="178"/>
        <source>单位：%1</source>
        <translation>Unit: %1</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="185"/>
        <source>已打印到 %1</source>
        <translation>Printed to %1</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="192"/>
        <source>导出 Excel</source>
        <translation>Export Excel</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="192"/>
        <source>导出 CSV</source>
        <translation>Export CSV</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="193"/>
        <source>Excel 文件 (*.xlsx)</source>
        <translation>Excel files (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="193"/>
        <source>CSV 文件 (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="271"/>
        <source>已显示 %1 行，向下滚动加载更多</source>
        <translation>%1 rows shown; scroll down to load more</translation>
    </message>
    <message>
        <location filename="../../ui/queries/screen.py" line="271"/>
        <source>已显示 %1 行（全部）</source>
        <translation>%1 rows shown (all)</translation>
    </message>
</context>
<context>
    <name>RecallForm</name>
    <message>
        <location filename="../../ui/stock/recalls.py" line="44"/>
        <source>新增召回/封存批号</source>
        <translation>Add a recalled/locked batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="48"/>
        <source>（任何产品）</source>
        <translation>(any product)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="52"/>
        <source>不填：任何企业</source>
        <translation>empty: any manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="53"/>
        <source>召回(&amp;C)</source>
        <translation>Re&amp;call</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="55"/>
        <source>封存/锁定(&amp;F)</source>
        <translation>Lock (&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="62"/>
        <source>如：县疾控通知，冷链温度超标</source>
        <translation>e.g. county CDC notice: cold chain temperature exceeded</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="65"/>
        <source>批号(&amp;B)：</source>
        <translation>&amp;Batch:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="66"/>
        <source>疫苗(&amp;V)：</source>
        <translation>&amp;Vaccine:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="67"/>
        <source>生产企业(&amp;M)：</source>
        <translation>&amp;Manufacturer:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="68"/>
        <source>类别：</source>
        <translation>Kind:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="69"/>
        <source>原因(&amp;R)：</source>
        <translation>&amp;Reason:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="72"/>
        <source>加入清单</source>
        <translation>Add to the list</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="73"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>RecallListDialog</name>
    <message>
        <location filename="../../ui/stock/recalls.py" line="108"/>
        <source>召回/封存批号清单</source>
        <extracomment>a status-bar message after a change</extracomment>
        <translation>Recalled/locked batches</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="112"/>
        <source>批号</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="113"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="114"/>
        <source>产品</source>
        <translation>Product</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="115"/>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="116"/>
        <source>录入</source>
        <translation>Entered</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="117"/>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="118"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="122"/>
        <source>显示已解除(&amp;A)</source>
        <translation>Show lifted entries (&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="124"/>
        <source>新增(&amp;N)…</source>
        <translation>&amp;New…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="126"/>
        <source>解除(&amp;L)…</source>
        <translation>&amp;Lift…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="128"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="135"/>
        <source>需要业务管理员或以上角色</source>
        <translation>Needs a business administrator or higher</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="169"/>
        <source>任何产品</source>
        <translation>any product</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="172"/>
        <source>生效</source>
        <translation>in force</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="175"/>
        <source>已解除 %1：%2</source>
        <translation>lifted %1: %2</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="176"/>
        <source>召回</source>
        <translation>recall</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="176"/>
        <source>封存</source>
        <translation>lock</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="185"/>
        <location filename="../../ui/stock/recalls.py" line="206"/>
        <source>维护召回/封存批号清单需要业务管理员或以上角色</source>
        <translation>Keeping the recall/lock list needs a business administrator or higher</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="196"/>
        <source>已加入清单：批号 %1</source>
        <translation>Added to the list: batch %1</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="203"/>
        <source>请先选择一条生效的召回/封存记录</source>
        <translation>Choose an entry in force first</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="208"/>
        <source>解除批号 %1 的%2，原因：</source>
        <translation>Lift the %2 of batch %1, reason:</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="209"/>
        <source>解除召回/封存</source>
        <translation>Lift a recall/lock</translation>
    </message>
    <message>
        <location filename="../../ui/stock/recalls.py" line="219"/>
        <source>已解除：批号 %1</source>
        <translation>Lifted: batch %1</translation>
    </message>
</context>
<context>
    <name>ReceiveDialog</name>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="123"/>
        <source>入库</source>
        <translation>Receive</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="142"/>
        <source>疫苗/注射器(&amp;P)</source>
        <translation>Vaccine/syringe (&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="143"/>
        <source>生产企业(&amp;M)</source>
        <translation>&amp;Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="144"/>
        <source>规格</source>
        <translation>Specification</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="145"/>
        <source>每瓶人份</source>
        <translation>Doses per vial</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="146"/>
        <source>批号(&amp;B)</source>
        <translation>&amp;Batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="147"/>
        <source>失效期(&amp;E)</source>
        <translation>&amp;Expiry</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="148"/>
        <source>入库数量(&amp;Q)</source>
        <translation>&amp;Quantity received</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="149"/>
        <source>供货单位</source>
        <translation>Supplier</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="150"/>
        <source>单据号</source>
        <translation>Document no.</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="151"/>
        <source>入库日期</source>
        <translation>Date received</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="171"/>
        <source>数量单位：支</source>
        <translation>Quantity in syringes</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="171"/>
        <source>数量单位：人份</source>
        <translation>Quantity in doses</translation>
    </message>
</context>
<context>
    <name>Registry</name>
    <message>
        <location filename="../../ui/registry_dialog.py" line="37"/>
        <source>迁往外地</source>
        <translation>Moved elsewhere</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="38"/>
        <source>迁往外省</source>
        <translation>Moved to another province</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="39"/>
        <source>出国</source>
        <translation>Went abroad</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="40"/>
        <source>失访</source>
        <translation>Lost to follow-up</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="41"/>
        <source>长期外出</source>
        <translation>Away for a long time</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="42"/>
        <source>其他</source>
        <translation>Other</translation>
    </message>
</context>
<context>
    <name>RegistryDialog</name>
    <message>
        <location filename="../../ui/registry_dialog.py" line="57"/>
        <source>在册变更</source>
        <translation>Change registration</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="60"/>
        <source>%1  %2  当前在册情况：%3</source>
        <translation>%1  %2  current registration: %3</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="66"/>
        <location filename="../../ui/registry_dialog.py" line="74"/>
        <source>（请选择）</source>
        <translation>(choose)</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="79"/>
        <location filename="../../ui/registry_dialog.py" line="120"/>
        <source>备注</source>
        <translation>Remark</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="85"/>
        <source>个案</source>
        <translation>Child</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="86"/>
        <source>新在册情况</source>
        <translation>New registration</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="87"/>
        <source>变更日期</source>
        <translation>Date of change</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="88"/>
        <source>迁出原因</source>
        <translation>Reason for moving out</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="94"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="95"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/registry_dialog.py" line="120"/>
        <source>备注（必填）</source>
        <translation>Remark (required)</translation>
    </message>
</context>
<context>
    <name>RejectedDialog</name>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="58"/>
        <source>被平台拒收的记录</source>
        <translation>Records rejected by the platform</translation>
    </message>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="60"/>
        <source>儿童编码</source>
        <translation>Child code</translation>
    </message>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="60"/>
        <source>记录</source>
        <translation>Record</translation>
    </message>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="60"/>
        <source>拒收原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="60"/>
        <source>修改时间</source>
        <translation>Changed</translation>
    </message>
    <message>
        <location filename="../../ui/reports/notice_actions.py" line="63"/>
        <source>请在儿童个案中改正后重新上传（F10）；改正的记录会自动重新排队。</source>
        <translation>Correct them in the child’s record and upload again (F10); a corrected record is queued again by itself.</translation>
    </message>
</context>
<context>
    <name>RemindersPanel</name>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="44"/>
        <source>工作提醒</source>
        <translation>Work reminders</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="51"/>
        <source>完成(&amp;D)</source>
        <translation>&amp;Done</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="52"/>
        <source>推迟一天(&amp;S)</source>
        <translation>&amp;Snooze a day</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="53"/>
        <source>刷新(&amp;R)</source>
        <translation>&amp;Refresh</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="55"/>
        <source>新提醒内容</source>
        <translation>New reminder</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="59"/>
        <source>添加(&amp;A)</source>
        <translation>&amp;Add</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="86"/>
        <source>【待办】</source>
        <translation>[To do]</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="86"/>
        <source>【提醒】</source>
        <translation>[Reminder]</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="94"/>
        <source>今天没有需要处理的提醒</source>
        <translation>Nothing needs doing today</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="124"/>
        <source>把 %1 的%2标记为已完成（已用其他方式上报）？</source>
        <translation>Mark %2 of %1 as done (handed in another way)?</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="125"/>
        <source>标记为已完成</source>
        <translation>Mark as done</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="128"/>
        <source>已标记为已完成：%1 %2</source>
        <translation>Marked as done: %1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/reports/reminders_panel.py" line="130"/>
        <source>此提醒在备份或上传完成后自动消失</source>
        <translation>This notice goes away once the backup or upload is done</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <location filename="../../ui/reports/dialog.py" line="50"/>
        <source>月报</source>
        <translation>Monthly reports</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="66"/>
        <source>生成(&amp;G)</source>
        <translation>&amp;Generate</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="68"/>
        <source>导出 Excel(&amp;E)</source>
        <translation>&amp;Export Excel</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="69"/>
        <source>导出 CSV(&amp;C)</source>
        <translation>Export &amp;CSV</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="70"/>
        <source>打印(&amp;P)…</source>
        <translation>&amp;Print…</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="71"/>
        <source>标记为已完成(&amp;F)</source>
        <translation>Mark as done (&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="72"/>
        <source>已用其他方式上报：本月此报表记为已完成，F7 不再提醒</source>
        <translation>Handed in another way: this month’s report counts as done and F7 stops asking</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="84"/>
        <source>报表(&amp;K)：</source>
        <translation>Report (&amp;K):</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="85"/>
        <source>月份(&amp;M)：</source>
        <translation>&amp;Month:</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="86"/>
        <source>居住属性(&amp;R)：</source>
        <translation>&amp;Residence:</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="136"/>
        <source>正在生成…</source>
        <translation>Generating…</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="163"/>
        <source>已生成。导出、打印或标记为已完成后，本月此报表才记为已完成</source>
        <translation>Generated. The month’s report counts as done once exported, printed or marked as done</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="196"/>
        <source>已标记为已完成：%1 %2</source>
        <translation>Marked as done: %1 %2</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="199"/>
        <source>（本月此报表已完成）</source>
        <translation> (this month’s report is done)</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="173"/>
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../../ui/reports/dialog.py" line="183"/>
        <source>已导出：%1</source>
        <translation>Exported: %1</translation>
    </message>
</context>
<context>
    <name>RestoreDialog</name>
    <message>
        <location filename="../../ui/restore_dialog.py" line="53"/>
        <source>恢复备份</source>
        <translation>Restore backup</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="56"/>
        <source>将用备份文件替换当前数据库。恢复前先校验备份，并把当前数据库另存为安全副本。</source>
        <translation>The current database will be replaced with the backup. The backup is checked first and the current database is saved as a safety copy.</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="59"/>
        <source>恢复后的用户账号就是备份中的用户账号，当前的用户账号不会保留。</source>
        <translation>After the restore, the user accounts are those in the backup; the current accounts are not kept.</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="63"/>
        <source>备份文件：</source>
        <translation>Backup file:</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="67"/>
        <source>备份密码：</source>
        <translation>Backup passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="69"/>
        <source>这是其他接种单位的备份，我确认要恢复</source>
        <translation>This backup belongs to another vaccination unit; restore it anyway</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="71"/>
        <source>备份中没有用户账号，恢复后不再需要登录：我是系统管理员，确认要恢复</source>
        <translation>The backup has no user accounts, so no login will be needed after the restore: I am a system administrator and confirm the restore</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="81"/>
        <source>恢复(&amp;R)</source>
        <translation>&amp;Restore</translation>
    </message>
    <message>
        <location filename="../../ui/restore_dialog.py" line="88"/>
        <source>请输入备份密码</source>
        <translation>Please enter the backup passphrase</translation>
    </message>
</context>
<context>
    <name>SaveRetry</name>
    <message>
        <location filename="../../ui/server_retry.py" line="45"/>
        <source>已填写的内容保留在此，连上服务器后自动保存（Esc 取消）</source>
        <extracomment>How often a save waiting for the clinic server looks whether it is back.</extracomment>
        <translation>What you typed stays here and is saved when the server is back (Esc cancels)</translation>
    </message>
</context>
<context>
    <name>ScanField</name>
    <message>
        <location filename="../../ui/child/scan_field.py" line="58"/>
        <source>扫描追溯码或疫苗二维码（扫码枪自动回车）</source>
        <extracomment>a scan passed (or was let through): the form takes its batch, expiry and manufacturer the scanned text the dose is saved with (None: nothing scanned) the 业务管理员&apos;s reason when a refused scan was let through</extracomment>
        <translation>Scan the trace code or the vaccine&apos;s 2D code (the scanner presses Enter)</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="66"/>
        <source>强制通过的原因（记入审计）</source>
        <translation>Reason for letting it through (audited)</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="67"/>
        <source>强制通过(&amp;O)</source>
        <translation>&amp;Override</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="112"/>
        <source>请填写强制通过的原因</source>
        <translation>Give the reason for the override</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="120"/>
        <source>请先选择疫苗，再扫码</source>
        <translation>Choose the vaccine first, then scan</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="130"/>
        <source>扫码核对未通过，不能接种：</source>
        <translation>The scan check failed, do not give this vaccine:</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="147"/>
        <source>已强制通过（%1）：%2</source>
        <translation>Let through (%1): %2</translation>
    </message>
    <message>
        <location filename="../../ui/child/scan_field.py" line="150"/>
        <source>✓ 扫码核对通过：%1</source>
        <translation>✓ Scan checked: %1</translation>
    </message>
</context>
<context>
    <name>Search</name>
    <message>
        <location filename="../../ui/search/model.py" line="24"/>
        <source>年龄</source>
        <extracomment>The age column (worked out on the model&apos;s day, not stored).</extracomment>
        <translation>Age</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="26"/>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="27"/>
        <source>性别</source>
        <translation>Sex</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="28"/>
        <location filename="../../ui/search/model.py" line="39"/>
        <source>出生日期</source>
        <translation>Birth date</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="30"/>
        <source>母亲</source>
        <translation>Mother</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="31"/>
        <source>父亲</source>
        <translation>Father</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="32"/>
        <source>联系电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="33"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="34"/>
        <source>在册情况</source>
        <translation>Register status</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="35"/>
        <source>儿童编码</source>
        <translation>Child code</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="36"/>
        <source>匹配</source>
        <translation>Matched</translation>
    </message>
    <message>
        <location filename="../../ui/search/model.py" line="38"/>
        <source>编码</source>
        <translation>Code</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../../ui/search/dialog.py" line="55"/>
        <source>个案快速查询</source>
        <translation>Quick search</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="60"/>
        <source>姓名、拼音（zhanghao）、首字母（lpp）、出生日期（2013 / 2013-01）、编码、身份证号或电话</source>
        <translation>Name, pinyin (zhanghao), initials (lpp), birth date (2013 / 2013-01), code, ID number or phone</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="63"/>
        <source>查询(&amp;Q)：</source>
        <translation>&amp;Query:</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="77"/>
        <source>输入后自动查询；↑/↓ 选择，回车打开，Esc 关闭。</source>
        <translation>Results follow your typing; ↑/↓ choose, Enter opens, Esc closes.</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="121"/>
        <source>结果多于 %1 条，只显示前 %1 条；请输入更多内容缩小范围。</source>
        <translation>More than %1 results, showing the first %1; type more to narrow it down.</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="124"/>
        <source>没有找到符合的儿童。</source>
        <translation>No matching child.</translation>
    </message>
    <message>
        <location filename="../../ui/search/dialog.py" line="126"/>
        <source>共 %1 条；↑/↓ 选择，回车打开。</source>
        <translation>%1 found; ↑/↓ to choose, Enter to open.</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="37"/>
        <source>接种状态（应种/超期/未到期/已完成）</source>
        <translation>State (due / overdue / not yet / complete)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="38"/>
        <source>下一剂</source>
        <translation>Next dose</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="39"/>
        <source>最早接种日期</source>
        <translation>Earliest date</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="40"/>
        <source>接种地点</source>
        <translation>Place</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="41"/>
        <source>接种评价（及时/合格/超期…）</source>
        <translation>Evaluation (on time / valid / late …)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="42"/>
        <source>批号</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="43"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="44"/>
        <source>接种护士</source>
        <translation>Nurse</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="47"/>
        <source>外地（只标出外地接种）</source>
        <translation>Elsewhere (mark only doses given elsewhere)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="48"/>
        <source>名称（接种单位名称）</source>
        <translation>Name (vaccination unit name)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="49"/>
        <source>编码（接种单位编码）</source>
        <translation>Code (vaccination unit code)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="199"/>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="206"/>
        <source>留空：使用登录用户的姓名</source>
        <translation>Empty: the logged-in user’s real name</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="215"/>
        <source>是否显示快捷键提示(&amp;H)</source>
        <translation>Show shortcut &amp;hints</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="217"/>
        <source>接种护士(&amp;N)：</source>
        <translation>&amp;Nurse:</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="218"/>
        <source>界面语言(&amp;L)：</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="219"/>
        <source>接种地点显示(&amp;P)：</source>
        <translation>Show vaccination &amp;place as:</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="221"/>
        <source>界面语言更改后，重新打开窗口后全部生效。</source>
        <translation>A language change fully applies after reopening the window.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="222"/>
        <source>常规(&amp;G)</source>
        <translation>&amp;General</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="227"/>
        <source>左面基本资料字段(&amp;B)</source>
        <translation>&amp;Basic information fields</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="229"/>
        <source>接种登记显示字段(&amp;V)</source>
        <translation>&amp;Vaccination grid fields</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="231"/>
        <source>快捷键(&amp;K)</source>
        <translation>Shortcut &amp;keys</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="235"/>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="236"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>ShortcutEditor</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="111"/>
        <source>功能</source>
        <translation>Action</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="111"/>
        <source>快捷键</source>
        <translation>Key</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="111"/>
        <source>默认</source>
        <translation>Default</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="124"/>
        <source>设为此键(&amp;A)</source>
        <translation>&amp;Assign</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="125"/>
        <source>恢复默认(&amp;R)</source>
        <translation>&amp;Reset to default</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="126"/>
        <source>不用快捷键(&amp;C)</source>
        <translation>&amp;Clear key</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="136"/>
        <source>新快捷键(&amp;K)：</source>
        <translation>New &amp;key:</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="164"/>
        <source>✗ %1 已用于“%2”，请换一个键。</source>
        <translation>✗ %1 is already used by “%2”; choose another key.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="173"/>
        <source>“%1”的快捷键：%2</source>
        <translation>Shortcut of “%1”: %2</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="175"/>
        <source>无</source>
        <translation>none</translation>
    </message>
</context>
<context>
    <name>SignaturePad</name>
    <message>
        <location filename="../../ui/consent/signature_pad.py" line="36"/>
        <source>请监护人在此签名</source>
        <translation>Guardian, please sign here</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../../ui/status_bar.py" line="22"/>
        <source>单位：%1</source>
        <translation>Unit: %1</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="24"/>
        <source>数据库：%1</source>
        <translation>Database: %1</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="26"/>
        <source>待上传：—</source>
        <translation>To upload: —</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="44"/>
        <source>工作站：%1</source>
        <translation>Desk: %1</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="46"/>
        <source> · 在线 %1 台</source>
        <translation> · %1 on line</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="55"/>
        <source>与数据库服务器 %1 的连接已断开，正在重试…（已填写的内容会保留，连上后自动保存）</source>
        <translation>Connection to the database server %1 lost, retrying… (what you typed is kept and saved when it is back)</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="62"/>
        <source>操作员：%1</source>
        <translation>User: %1</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="69"/>
        <source>待上传：%1</source>
        <translation>To upload: %1</translation>
    </message>
</context>
<context>
    <name>StatusChangeQueryScreen</name>
    <message>
        <location filename="../../ui/queries/status_changes.py" line="33"/>
        <source>变更日期从</source>
        <translation>Changed from</translation>
    </message>
    <message>
        <location filename="../../ui/queries/status_changes.py" line="34"/>
        <source>到</source>
        <translation>to</translation>
    </message>
    <message>
        <location filename="../../ui/queries/status_changes.py" line="35"/>
        <source>新在册情况</source>
        <translation>New registration</translation>
    </message>
    <message>
        <location filename="../../ui/queries/status_changes.py" line="36"/>
        <source>区域划分</source>
        <translation>Area</translation>
    </message>
</context>
<context>
    <name>StockDialogs</name>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="39"/>
        <source>破损</source>
        <translation>Broken</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="40"/>
        <source>过期</source>
        <translation>Expired</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="41"/>
        <source>冷链故障</source>
        <translation>Cold-chain failure</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="42"/>
        <source>开启后废弃</source>
        <translation>Discarded after opening</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="43"/>
        <source>其他损耗</source>
        <translation>Other loss</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="67"/>
        <source>%1 %2%3 批号 %4，库存 %5 %6</source>
        <translation>%1 %2%3 batch %4, on hand %5 %6</translation>
    </message>
</context>
<context>
    <name>StockModel</name>
    <message>
        <location filename="../../ui/stock/model.py" line="20"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="21"/>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="22"/>
        <source>简称</source>
        <translation>Abbr.</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="23"/>
        <source>生产企业</source>
        <translation>Manufacturer</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="24"/>
        <source>规格</source>
        <translation>Specification</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="25"/>
        <source>批号</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="26"/>
        <source>失效期</source>
        <translation>Expiry</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="27"/>
        <source>库存</source>
        <translation>On hand</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="28"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="29"/>
        <source>提示</source>
        <translation>Attention</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="34"/>
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../../ui/stock/model.py" line="35"/>
        <source>注射器</source>
        <translation>Syringe</translation>
    </message>
</context>
<context>
    <name>StockScreen</name>
    <message>
        <location filename="../../ui/stock/screen.py" line="63"/>
        <source>库存一览</source>
        <extracomment>the list was (re)read and shown a receipt, wastage or count was saved (the message for the status bar)</extracomment>
        <translation>Stock on hand</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="82"/>
        <source>出入库明细(&amp;L)</source>
        <translation>&amp;Ledger</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="83"/>
        <source>入库(&amp;I)…</source>
        <translation>Rece&amp;ive…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="84"/>
        <source>报损(&amp;W)…</source>
        <translation>&amp;Write off…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="85"/>
        <source>盘点(&amp;C)…</source>
        <translation>&amp;Count…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="86"/>
        <source>刷新(&amp;R)</source>
        <translation>&amp;Refresh</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="87"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="90"/>
        <source>回车：所选批号的出入库明细&#x3000;F5：刷新&#x3000;Esc：关闭</source>
        <translation>Enter: ledger of the selected batch&#x3000;F5: refresh&#x3000;Esc: close</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="120"/>
        <source>正在读取库存…</source>
        <translation>Reading the stock…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="141"/>
        <source>截至 %1：疫苗 %2 个批号，注射器 %3 个批号；需要注意 %4 行</source>
        <translation>As of %1: %2 vaccine batches, %3 syringe batches; %4 lines need attention</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="148"/>
        <source>库存中没有疫苗或注射器。按“入库”登记领取的疫苗和注射器。</source>
        <translation>No vaccines or syringes in stock. Use “Receive” to record vaccines and syringes received.</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="181"/>
        <source>请先选择一个有库存的批号</source>
        <translation>First choose a batch with stock</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="193"/>
        <source>正在读取出入库明细…</source>
        <translation>Reading the ledger…</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="212"/>
        <source>已入库</source>
        <translation>Received</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="220"/>
        <source>已报损</source>
        <translation>Written off</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="228"/>
        <source>已盘点</source>
        <translation>Counted</translation>
    </message>
    <message>
        <location filename="../../ui/stock/screen.py" line="238"/>
        <source>%1：%2 批号 %3 %4 %5，结存 %6 %5</source>
        <translation>%1: %2 batch %3 %4 %5, balance %6 %5</translation>
    </message>
</context>
<context>
    <name>System</name>
    <message>
        <location filename="../../ui/system_actions.py" line="26"/>
        <source>上传完成：接收 %1 条，被拒 %2 条，剩余 %3 条</source>
        <translation>Upload done: %1 accepted, %2 rejected, %3 left</translation>
    </message>
</context>
<context>
    <name>SystemActions</name>
    <message>
        <location filename="../../ui/system_actions.py" line="72"/>
        <location filename="../../ui/system_actions.py" line="75"/>
        <source>自动上传：%1</source>
        <extracomment>rows were imported (系统 → 导入…) the file the backup on exit wrote (None: none was needed, or it failed)</extracomment>
        <translation>Automatic upload: %1</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="81"/>
        <source>正在上传个案到平台…</source>
        <translation>Uploading records to the platform…</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="98"/>
        <source>正在备份数据库到 %1 …</source>
        <translation>Backing up the database to %1 …</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="99"/>
        <source>备份完成：%1</source>
        <translation>Backup done: %1</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="109"/>
        <source>加密备份</source>
        <translation>Encrypted backup</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="110"/>
        <source>备份文件将用此密码加密。没有密码无法恢复，请妥善保管。</source>
        <translation>The backup file will be encrypted with this passphrase. It cannot be restored without it: keep it safe.</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="111"/>
        <source>备份密码：</source>
        <translation>Backup passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="125"/>
        <source>选择备份文件</source>
        <translation>Choose a backup file</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="127"/>
        <source>EpiManager 备份 (*%1 *%2)</source>
        <translation>EpiManager backups (*%1 *%2)</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="142"/>
        <source>已恢复备份</source>
        <translation>Backup restored</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="145"/>
        <source>恢复完成</source>
        <translation>Restore complete</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="146"/>
        <source>数据库已从备份恢复。恢复前的数据库已另存为：
%1
请重新启动程序。</source>
        <translation>The database was restored from the backup. The database as it was before is saved as:
%1
Please restart the program.</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="174"/>
        <source>退出前已备份数据到：
%1</source>
        <translation>Backed up before closing to:
%1</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="190"/>
        <source>选择升级包</source>
        <translation>Choose upgrade package</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="190"/>
        <source>升级包 (*.zip)</source>
        <translation>Upgrade packages (*.zip)</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="200"/>
        <source>升级完成</source>
        <translation>Upgrade complete</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="201"/>
        <source>已升级到 %1 版。请重新启动程序。</source>
        <translation>Upgraded to version %1. Please restart the program.</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="214"/>
        <source>数据文件夹已改为 %1，重新启动后生效</source>
        <translation>Data folder changed to %1; takes effect after restarting</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="233"/>
        <source>尚未登录：还没有建立用户</source>
        <translation>Not logged in: no user has been created yet</translation>
    </message>
    <message>
        <location filename="../../ui/system_actions.py" line="236"/>
        <source>密码已修改</source>
        <translation>Password changed</translation>
    </message>
</context>
<context>
    <name>UpgradeDialog</name>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="49"/>
        <source>安装升级包</source>
        <translation>Install upgrade package</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="58"/>
        <source>当前版本：%1
升级包：%2</source>
        <translation>Current version: %1
Package: %2</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="64"/>
        <source>更新说明：</source>
        <translation>Release notes:</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="71"/>
        <source>正在校验升级包……</source>
        <translation>Verifying the upgrade package…</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="80"/>
        <source>开始升级(&amp;S)</source>
        <translation>&amp;Start upgrade</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="83"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="103"/>
        <source>正在升级，请不要关闭电脑……</source>
        <translation>Upgrading; do not switch off the computer…</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="118"/>
        <source>当前版本：%1&#x3000;→&#x3000;新版本：%2（发布日期 %3）
升级包：%4，%5 个文件，签名已验证</source>
        <translation>Current version: %1&#x3000;→&#x3000;new version: %2 (released %3)
Package: %4, %5 files, signature verified</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="125"/>
        <source>升级包校验通过。升级前会自动备份数据库，失败时自动恢复原状。</source>
        <translation>Package verified. The database is backed up before upgrading and restored if anything fails.</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="136"/>
        <source>已从 %1 升级到 %2。请重新启动 EpiManager。</source>
        <translation>Upgraded from %1 to %2. Please restart EpiManager.</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="141"/>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <location filename="../../ui/upgrade_dialog.py" line="148"/>
        <location filename="../../ui/upgrade_dialog.py" line="154"/>
        <source>升级未完成，原有程序和数据没有任何改动。</source>
        <translation>The upgrade did not finish; the program and data are unchanged.</translation>
    </message>
</context>
<context>
    <name>UsersDialog</name>
    <message>
        <location filename="../../ui/users_dialog.py" line="51"/>
        <source>用户管理</source>
        <translation>User management</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="56"/>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="56"/>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="56"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="56"/>
        <source>最近登录</source>
        <translation>Last login</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="56"/>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="63"/>
        <source>修改角色</source>
        <translation>Change role</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="64"/>
        <location filename="../../ui/users_dialog.py" line="153"/>
        <source>停用</source>
        <translation>Disable</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="65"/>
        <source>解锁</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="66"/>
        <source>重设密码…</source>
        <translation>Reset password…</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="67"/>
        <source>修改姓名…</source>
        <translation>Change name…</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="68"/>
        <source>所选用户：</source>
        <translation>Selected user:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="86"/>
        <source>新建用户</source>
        <translation>New user</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="89"/>
        <source>登录用，如 wanghs</source>
        <translation>For logging in, e.g. wanghs</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="92"/>
        <source>真实姓名，接种记录上的接种护士</source>
        <translation>Real name, the nurse on dose records</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="97"/>
        <source>用户名：</source>
        <translation>User name:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="98"/>
        <source>姓名：</source>
        <translation>Name:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="99"/>
        <source>角色：</source>
        <translation>Role:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="100"/>
        <source>密码：</source>
        <translation>Password:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="101"/>
        <source>再次输入：</source>
        <translation>Repeat:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="102"/>
        <source>新建(&amp;N)</source>
        <translation>&amp;Create</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="131"/>
        <source>已停用</source>
        <translation>Disabled</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="133"/>
        <source>已锁定至 %1</source>
        <translation>Locked until %1</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="135"/>
        <source>正常</source>
        <translation>Active</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="153"/>
        <source>启用</source>
        <translation>Enable</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="174"/>
        <source>两次输入的密码不一致</source>
        <translation>The two passwords differ</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="177"/>
        <source>请填写姓名：接种记录和打印中的接种护士用真实姓名</source>
        <translation>Please enter the real name: dose records and prints name the nurse by it</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="184"/>
        <source>已新建用户 %1</source>
        <translation>User %1 created</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="196"/>
        <source>修改姓名</source>
        <translation>Change name</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="196"/>
        <source>%1 的真实姓名：</source>
        <translation>Real name of %1:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="205"/>
        <source>%1 的姓名已改为 %2</source>
        <translation>Name of %1 changed to %2</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="216"/>
        <source>%1 的角色已改为 %2</source>
        <translation>%1&apos;s role is now %2</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="223"/>
        <source>已停用 %1</source>
        <translation>%1 disabled</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="223"/>
        <source>已启用 %1</source>
        <translation>%1 enabled</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="230"/>
        <source>已解锁 %1</source>
        <translation>%1 unlocked</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="237"/>
        <source>重设密码</source>
        <translation>Reset password</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="238"/>
        <source>为 %1 设置新密码，并请其登录后自行修改。</source>
        <translation>Set a new password for %1 and ask them to change it after logging in.</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="239"/>
        <source>新密码：</source>
        <translation>New password:</translation>
    </message>
    <message>
        <location filename="../../ui/users_dialog.py" line="247"/>
        <source>已重设 %1 的密码</source>
        <translation>Password of %1 reset</translation>
    </message>
</context>
<context>
    <name>VaccinationView</name>
    <message>
        <location filename="../../ui/child/grid.py" line="52"/>
        <source>按 F3 查找儿童，或按 F2 新建儿童。</source>
        <translation>Press F3 to find a child, or F2 for a new child.</translation>
    </message>
    <message>
        <location filename="../../ui/child/grid.py" line="88"/>
        <source>接种登记</source>
        <translation>Vaccination</translation>
    </message>
    <message>
        <location filename="../../ui/child/grid.py" line="92"/>
        <source>接种登记 · %1（%2，%3）</source>
        <translation>Vaccination · %1 (%2, %3)</translation>
    </message>
    <message>
        <location filename="../../ui/child/grid.py" line="124"/>
        <location filename="../../ui/child/grid.py" line="128"/>
        <source>%1 第%2剂（%3）</source>
        <translation>%1 dose %2 (%3)</translation>
    </message>
    <message>
        <location filename="../../ui/child/grid.py" line="135"/>
        <source>下次</source>
        <translation>Next</translation>
    </message>
    <message>
        <location filename="../../ui/child/grid.py" line="136"/>
        <source>目前没有应种疫苗</source>
        <translation>Nothing due now</translation>
    </message>
</context>
<context>
    <name>WasteDialog</name>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="196"/>
        <source>报损</source>
        <translation>Write off</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="204"/>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="205"/>
        <source>损耗类型(&amp;K)</source>
        <translation>&amp;Kind of loss</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="206"/>
        <source>报损数量(&amp;Q)（%1）</source>
        <translation>&amp;Quantity (%1)</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="207"/>
        <source>原因(&amp;R)</source>
        <translation>&amp;Reason</translation>
    </message>
    <message>
        <location filename="../../ui/stock/dialogs.py" line="208"/>
        <source>日期</source>
        <translation>Date</translation>
    </message>
</context>
</TS>
