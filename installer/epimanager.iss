; Inno Setup 6 script for EpiManager on Windows.
; Build the one-folder app first (PyInstaller on Windows: the .spec is the same), then
;   iscc /DAppVersion=0.1.0 installer\epimanager.iss      → dist\EpiManager-0.1.0-setup.exe
;
; Layout (the same one `epimanager upgrade apply` uses, so upgrades and installers agree):
;   {app}                      = {autopf}\EpiManager   (per-user: %LOCALAPPDATA%\Programs\EpiManager)
;   {app}\versions\<version>\  program files, side by side; older versions are kept
;   {app}\current              the version to start (the program hands over to it)
;   {localappdata}\EpiManager  the data folder (database, backups, reference-data updates):
;                              outside the program folder, never removed by uninstall or upgrade.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6D1B7F3E-5C1A-4E4B-9B7E-0E5A3C2F9A10}
AppName=EpiManager 儿童预防接种信息管理系统
AppVersion={#AppVersion}
AppPublisher=EpiManager
DefaultDirName={autopf}\EpiManager
DefaultGroupName=EpiManager
; Per-user install by default: upgrades then need no administrator rights.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
; Re-running a newer installer keeps the folder chosen the first time (and the old versions in it).
UsePreviousAppDir=yes
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=EpiManager-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\versions\{#AppVersion}\epimanager.exe

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Dirs]
; The data folder: created if missing, never removed (uninsneveruninstall).
Name: "{localappdata}\EpiManager"; Flags: uninsneveruninstall
Name: "{localappdata}\EpiManager\backups"; Flags: uninsneveruninstall

[Files]
Source: "..\dist\epimanager\*"; DestDir: "{app}\versions\{#AppVersion}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\EpiManager 儿童预防接种"; Filename: "{app}\versions\{#AppVersion}\epimanager.exe"; WorkingDir: "{localappdata}\EpiManager"
Name: "{autodesktop}\EpiManager 儿童预防接种"; Filename: "{app}\versions\{#AppVersion}\epimanager.exe"; WorkingDir: "{localappdata}\EpiManager"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "创建桌面快捷方式"; GroupDescription: "附加任务："

[Run]
Filename: "{app}\versions\{#AppVersion}\epimanager.exe"; Description: "启动 EpiManager"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only program files go; the data folder in {localappdata}\EpiManager is never listed here.
Type: filesandordirs; Name: "{app}\versions"
Type: files; Name: "{app}\current"

[Code]
procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    { The same pointer file `epimanager upgrade` switches (written whole, then renamed). }
    if SaveStringToFile(ExpandConstant('{app}\current.tmp'), '{#AppVersion}' + #13#10, False) then
    begin
      DeleteFile(ExpandConstant('{app}\current'));
      RenameFile(ExpandConstant('{app}\current.tmp'), ExpandConstant('{app}\current'));
    end;
end;
