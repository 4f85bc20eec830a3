<#
.SYNOPSIS
  Installs (or removes) an hourly "ratwatch audit" in Windows Task Scheduler,
  run as SYSTEM.

.DESCRIPTION
  Registers the task "\ratwatch\ratwatch audit": every hour, as SYSTEM with
  highest privileges, it runs
    ratwatch.exe audit --policy POLICY --state STATE -o ndjson --file OUTPUT [--syslog]
  A run still going when the next one is due is not started twice (the
  task's MultipleInstances is IgnoreNew, and ratwatch's own lock refuses a
  second audit anyway). Idempotent: running the script again replaces the
  task with the same or new settings. With -EventLog, every line also goes to
  the Application event log, source "ratwatch" (registered here).

  Fresh machine, one command (elevated PowerShell, in an unpacked release):
    powershell -ExecutionPolicy Bypass -File .\install-task.ps1 -InstallBinary .\ratwatch.exe -InstallPolicy .\policy.yaml -RunNow

  Remove:
    powershell -ExecutionPolicy Bypass -File .\install-task.ps1 -Uninstall   (add -Purge to delete state and findings)

  See docs/audit.md.
#>
[CmdletBinding()]
param(
    [string]$Binary = (Join-Path $env:ProgramFiles 'ratwatch\ratwatch.exe'),
    [string]$Policy = (Join-Path $env:ProgramData 'ratwatch\policy.yaml'),
    [string]$State = (Join-Path $env:ProgramData 'ratwatch\state'),
    [string]$Output = (Join-Path $env:ProgramData 'ratwatch\audit.ndjson'),
    [ValidateSet('ndjson', 'ecs')][string]$Format = 'ndjson',
    [ValidateSet('', 'found', 'installed', 'running', 'connected', 'attempted', 'established')][string]$FailOn = '',
    [switch]$EventLog,
    [string]$InstallBinary,
    [string]$InstallPolicy,
    [switch]$RunNow,
    [switch]$Uninstall,
    [switch]$Purge,
    [string]$TaskName = 'ratwatch audit',
    [string]$TaskPath = '\ratwatch\'
)

$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script from an elevated PowerShell (as administrator).'
}

if ($Uninstall) {
    if (Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue) {
        Unregister-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -Confirm:$false
        Write-Host "Removed the scheduled task $TaskPath$TaskName."
    } else {
        Write-Host "No scheduled task $TaskPath$TaskName."
    }
    if ($Purge) {
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $State, $Output
        Write-Host "Removed $State and $Output."
    }
    return
}

if ($InstallBinary) {
    New-Item -ItemType Directory -Force -Path (Split-Path $Binary) | Out-Null
    Copy-Item -Force $InstallBinary $Binary
}
if ($InstallPolicy) {
    if (Test-Path $Policy) {
        Write-Host "Keeping the existing $Policy."
    } else {
        New-Item -ItemType Directory -Force -Path (Split-Path $Policy) | Out-Null
        Copy-Item $InstallPolicy $Policy
    }
}
if (-not (Test-Path $Binary)) { throw "$Binary not found (use -InstallBinary)." }
if (-not (Test-Path $Policy)) { throw "$Policy not found (use -InstallPolicy; docs/examples/policy.yaml is an example)." }

& $Binary audit --policy $Policy --check-policy
if ($LASTEXITCODE -ne 0) { throw "The policy $Policy is not valid (see above)." }

foreach ($dir in @($State, (Split-Path $Output))) {
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
}
# The state directory holds the baseline: SYSTEM and Administrators only.
icacls $State /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null

if ($EventLog -and -not [System.Diagnostics.EventLog]::SourceExists('ratwatch')) {
    [System.Diagnostics.EventLog]::CreateEventSource('ratwatch', 'Application')
}

$arguments = @('audit', '--policy', "`"$Policy`"", '--state', "`"$State`"", '-o', $Format, '--file', "`"$Output`"")
if ($EventLog) { $arguments += '--syslog' }
if ($FailOn) { $arguments += @('--fail-on', $FailOn) }
$argLine = $arguments -join ' '

$action = New-ScheduledTaskAction -Execute $Binary -Argument $argLine -WorkingDirectory $State
# Hourly from the next full hour, indefinitely.
$start = (Get-Date).Date.AddHours((Get-Date).Hour + 1)
# Without -RepetitionDuration the repetition has no end (Windows 10 / Server 2016 and later).
$trigger = New-ScheduledTaskTrigger -Once -At $start -RepetitionInterval (New-TimeSpan -Hours 1)
$taskPrincipal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew -StartWhenAvailable `
    -ExecutionTimeLimit (New-TimeSpan -Minutes 50) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
$task = New-ScheduledTask -Action $action -Trigger $trigger -Principal $taskPrincipal -Settings $settings `
    -Description 'ratwatch: hourly audit of remote-access tools (docs/audit.md). Exit 2/3 = findings, 1 = error.'
Register-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -InputObject $task -Force | Out-Null
Write-Host "Registered $TaskPath$TaskName : hourly as SYSTEM, findings appended to $Output."

if ($RunNow) {
    Write-Host 'Running the first audit now (creates the baseline)...'
    & $Binary @($arguments | ForEach-Object { $_.Trim('"') })
    switch ($LASTEXITCODE) {
        0 { Write-Host 'First audit: nothing that is not allowed.' }
        { $_ -in 2, 3 } { Write-Host "First audit: findings not allowed (exit $LASTEXITCODE); see $Output." }
        default { throw "First audit failed (exit $LASTEXITCODE)." }
    }
}
