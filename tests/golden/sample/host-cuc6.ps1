# portmatrix 0.1.0: windows rules for host cuc6 (fd00::10/128)
# deployment: sample
# load: powershell -ExecutionPolicy Bypass -File FILE (as Administrator)
# flows in: 3; every rule names its catalog ids and document rows
# Other allow rules: KEPT. Windows' own rules and other software's still admit what they
# admit, so the host admits the matrix and more; render with --exact to disable them.
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$group = 'portmatrix'
# Idempotent: remove every rule an earlier run created, then create them again.
Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule
# Default drop on input; established connections are admitted by the stateful firewall.
Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv4 8' -Direction Inbound -Action Allow -Protocol ICMPv4 -IcmpType 8 | Out-Null
New-NetFirewallRule -Group $group -DisplayName 'portmatrix ping (host_firewall.icmp_echo) Inbound ICMPv6 128' -Direction Inbound -Action Allow -Protocol ICMPv6 -IcmpType 128 | Out-Null
# local-only: any -> cuc6
# cuc.db (004_22b27dfc6c049eaa.txt table 1 row 17)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix local-only tcp 1: cuc.db' -Direction Inbound -Action Block -Protocol TCP -LocalPort '5432' -Description 'cuc.db (004_22b27dfc6c049eaa.txt table 1 row 17)' | Out-Null
# adm6 -> cuc6
# cuc.ssh (004_22b27dfc6c049eaa.txt table 1 row 15)
# cuc.web (004_22b27dfc6c049eaa.txt table 1 row 16)
New-NetFirewallRule -Group $group -DisplayName 'portmatrix in tcp 1: cuc.ssh, cuc.web' -Direction Inbound -Action Allow -Protocol TCP -LocalPort '22','443' -RemoteAddress 'fd00:1::/64' -Description 'cuc.ssh (004_22b27dfc6c049eaa.txt table 1 row 15); cuc.web (004_22b27dfc6c049eaa.txt table 1 row 16)' | Out-Null
