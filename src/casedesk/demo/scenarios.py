"""The demo's ordinary cases: what contacts wrote when opening them, and where each went.

``path`` names a life in :data:`casedesk.demo.stories.PATHS`; ``days_ago`` is when the
case was opened. Cases of Prairie Voice (maintenance lapsed 40 days ago) are all older
than that. The special histories (Production Down, priority changes, admin cases,
the follow-on case) are in :mod:`casedesk.demo.specials`.
"""

from __future__ import annotations

from casedesk.cases.models import Channel

from .stories import Scenario

S = Scenario  # short name keeps the table below readable

RECYCLE_ANSWER = "It happens on every campaign that recycles its list; manual campaigns are fine."

# A data table, laid out by hand: one case per block, fields in B2 order.
# fmt: off
SCENARIOS: tuple[Scenario, ...] = (
    S("priya", "nw_harbour", "dialer", "9.2.1",
      "Outbound campaign stops dialling after list recycle",
      "Since Monday the collections campaign stops placing calls as soon as the list "
      "recycles at 11:00. Agents sit in Ready with no calls; restarting the campaign fixes "
      "it until the next recycle.",
      "engineering", 9, priority="high",
      business_impact="About 60 collections agents idle for 20–30 minutes twice a day.",
      expected_behaviour="The campaign keeps dialling the recycled records.",
      circumstances="Only campaigns with automatic recycle enabled.", frequency="always",
      scope="All agents on the two recycled campaigns.",
      recent_changes="Upgraded from 9.1.0 to 9.2.1 on Saturday; no other changes.",
      load_at_time="Around 60 agents, 900 calls per hour.", answer=RECYCLE_ANSWER),
    S("tom", "nw_harbour", "voicemail", "4.3.0",
      "Voicemail greetings garbled after upgrade to 4.3",
      "Personal greetings recorded before the upgrade play back with a metallic, choppy "
      "sound. Greetings recorded after the upgrade are fine.",
      "customer_responded", 3, priority="medium",
      business_impact="Customer complaints from callers; around 300 mailboxes affected.",
      frequency="always", scope="Only mailboxes with greetings recorded before the upgrade.",
      recent_changes="Voicemail 4.2.5 → 4.3.0 last week.",
      question="Please attach two affected greeting files (from /var/vm/greetings) and one "
               "that plays fine, so we can compare the codecs.",
      answer="Three greeting files attached: 1001 and 1044 are garbled, 2210 is fine."),
    S("aisha", "nw_harbour", "ivr", "6.3.1",
      "IVR ignores DTMF input on menu 3 for some callers",
      "Callers pressing 2 at the 'card services' menu are sent back to the start. It happens "
      "to roughly one caller in ten, always from mobile networks.",
      "info_required", 2, priority="medium", frequency="sometimes",
      business_impact="Card-blocking calls reach an agent late; regulator-sensitive.",
      scope="Some mobile callers only; landlines unaffected.",
      question="Could you check whether the affected calls arrive with RFC 2833 or SIP INFO "
               "DTMF? A trace of one failing call from the gateway would tell us."),
    S("priya", "nw_harbour", "sipgw", "10.1.2",
      "Intermittent one-way audio on SIP trunk to carrier",
      "Several times a day agents cannot hear the caller, while the caller hears the agent. "
      "Only calls on the second trunk group are affected.",
      "third_party", 5, priority="high", frequency="sometimes",
      business_impact="About 3% of inbound calls; callers hang up and call again.",
      scope="Trunk group 2 (carrier B) only.",
      recent_changes="Carrier B moved our trunks to a new SBC cluster two weeks ago."),
    S("tom", "nw_harbour", "crm_sf", "3.2.0",
      "Screen pop no longer shows the Salesforce contact",
      "Since Salesforce's spring release the screen pop opens a blank search page instead of "
      "the matching contact.",
      "fixed", 6, priority="medium", frequency="always", scope="All agents using Lightning.",
      business_impact="Agents search by hand; average handling time up by 40 seconds.",
      recent_changes="Salesforce spring release on our org last weekend.",
      solution="Patch 3.2.1 of the connector handles the new Lightning URL format. It is "
               "attached to this case as an engineering special until it is published."),
    S("aisha", "nw_cityline", "acd", "7.4.0",
      "Queue statistics on wallboard lag by several minutes",
      "The wallboard shows calls waiting that were answered two to three minutes earlier. "
      "Supervisors make staffing decisions on it.",
      "investigation", 1, priority="low", frequency="always",
      scope="Wallboards in both Cork and Dublin rooms."),
    S("priya", "nw_cityline", "crm_dyn", "2.4.0",
      "Dynamics connector: click-to-dial inserts the country code twice",
      "Clicking an Irish mobile number in Dynamics dials +353353…, which fails. Numbers "
      "stored without the leading + work.",
      "resolved", 20, priority="low", frequency="always",
      solution="Set 'Number normalisation' to E.164 in the connector's dialling rules and "
               "remove the custom prefix rule; the double prefix comes from both applying.",
      outcome=("configuration",)),
    S("tom", "nw_harbour", "desktop", "5.1.0",
      "How do we hide the wrap-up timer from supervisors' view?",
      "Our supervisors find the wrap-up timer column distracting. Is there a per-role setting "
      "to hide it?", "replied", 1, sub_type="inquiry",
      solution="Yes: Administration > Roles > Supervisor > Desktop layout, untick 'Wrap-up "
               "timer'. Agents keep seeing their own timer.",
      outcome=("education",)),
    S("priya", "nw_harbour", "tts", "11.2.0",
      "Neural TTS reads account numbers as large numbers",
      "The balance IVR reads account number 40012345 as 'forty million twelve thousand…' "
      "instead of digit by digit.", "future_fix", 33, frequency="always",
      solution="Wrap the number in <say-as interpret-as='digits'> until the fix ships.",
      outcome=("defect", "CR-48213", "scheduled")),
    S("aisha", "nw_harbour", "acd", "7.4.0",
      "Skills-based routing sends Welsh-language calls to the wrong queue",
      "Callers choosing Welsh are queued for English agents when no Welsh agent is in "
      "Ready, instead of waiting for the Welsh skill.", "resolved_by_support", 28,
      priority="medium", frequency="always",
      business_impact="Breach of our Welsh Language Scheme commitments.",
      outcome=("fix",),
      solution="Hot fix 7.4.0-HF2 (attached) makes routing wait for the Welsh skill "
               "instead of falling back after the queue threshold; install it on both ACD nodes."),
    S("gary", "nw_harbour", "acd", "7.3.1",
      "Agents logged out at random during their shift",
      "Several agents a day are logged out without warning and have to log in again.",
      "followup_closed", 45, priority="medium", frequency="sometimes",
      solution="The desktops miss three heartbeats in a row while the Wi-Fi access points roam. "
               "Raise 'Heartbeat tolerance' to 5 (Administration > Desktop) and tell us if "
               "agents are still logged out."),
    S("tom", "nw_cityline", "ivr", "6.3.1",
      "Custom payment module in the IVR returns error 500",
      "The card payment step built for Cityline by our integrator returns error 500 since "
      "Tuesday.", "redirected", 12, priority="medium", frequency="always",
      recent_changes="Integrator deployed a new version of the payment module."),
    S("priya", "nw_harbour", "dialer", "9.2.1",
      "Predictive mode abandon rate above the 3% regulatory limit",
      "In predictive mode the abandon rate reaches 4–5% in the first hour, although the "
      "target is set to 2.5%.", "reopen_requested", 18, priority="high", frequency="always",
      business_impact="Risk of regulatory fines (Ofcom persistent misuse policy).",
      solution="The pacing model needs 30 minutes of history; enable 'Warm start from "
               "yesterday's statistics' on the campaign so the first hour is paced safely.",
      outcome=("configuration",)),
    S("aisha", "nw_cityline", "desktop", "5.1.0",
      "Agent Desktop freezes when transferring a chat",
      "The desktop stops responding for about 20 seconds when an agent transfers a web chat "
      "to another queue.", "cancelled", 8, priority="medium", frequency="sometimes"),
    S("tom", "nw_harbour", "voicemail", "4.2.5",
      "Message waiting lamps not cleared on desk phones",
      "After a message is listened to from the e-mail client, the lamp on the phone stays on.",
      "reopened_by_phone", 40, frequency="always", channel=Channel.EMAIL),
    S("priya", "nw_harbour", "ivr", "6.2.0",
      "IVR holiday schedule not applied on the bank holiday",
      "On the bank holiday the IVR played the normal opening-hours message instead of the "
      "holiday message.", "resolved", 55, priority="medium",
      solution="The holiday calendar was attached to the old schedule object; attach it to "
               "'Main hours 2026' as described in the attached steps.",
      outcome=("configuration",)),
    S("rafael", "sn_horizonte", "asr", "3.1.2",
      "Baixa taxa de reconhecimento de CPF na URA",
      "A URA reconhece corretamente menos de 70% dos CPFs falados. Antes da atualização do "
      "modelo acústico a taxa era de 92%.", "engineering", 14, priority="medium",
      frequency="always", business_impact="Mais 1.200 chamadas por dia transferidas a agentes.",
      recent_changes="Modelo acústico pt-BR atualizado em 3.1.2."),
    S("beatriz", "sn_varejo", "dialer", "9.1.0",
      "Dialer does not apply the Não Me Perturbe do-not-call import",
      "The nightly import of the national do-not-call list completes, but numbers on it are "
      "still dialled the next morning.", "fixed", 4, priority="high", frequency="always",
      business_impact="Legal exposure: calls to numbers on the national do-not-call list.",
      solution="Hot fix 9.1.0-HF3 attached: the import skipped numbers with the new 9-digit "
               "mobile prefix. Re-run the import after installing it.",
      outcome=("fix", "", "")),
    S("rafael", "sn_horizonte", "sipgw", "10.0.4",
      "SIP trunk registration drops every 60 minutes",
      "The trunk to the carrier deregisters every hour for about 30 seconds; calls in that "
      "window fail with 503.", "resolved", 26, priority="high", frequency="always",
      solution="The carrier grants a 3600 s expiry and we re-register at expiry. Set "
               "'Re-register at' to 50% of expiry on the trunk profile.",
      outcome=("configuration",)),
    S("beatriz", "sn_varejo", "crm_sf", "3.0.1",
      "Salesforce connector duplicates call activities",
      "Every outbound call creates two Task records in Salesforce.", "new", 0.2,
      frequency="always"),
    S("rafael", "sn_horizonte", "voicemail", "4.3.0",
      "Voicemail to e-mail arrives without the audio attachment",
      "Since yesterday, voicemail notifications reach Outlook without the WAV file.",
      "acknowledged", 0.5, frequency="always", channel=Channel.EMAIL),
    S("beatriz", "sn_varejo", "desktop", "5.0.3",
      "Como configurar pausas personalizadas no Agent Desktop?",
      "Queremos códigos de pausa próprios (treinamento, feedback) com limite de tempo.",
      "replied", 2, sub_type="inquiry",
      solution="Em Administração > Códigos de pausa, crie os códigos e defina 'Duração "
               "máxima'; o supervisor recebe alerta ao exceder.",
      outcome=("education",)),
    S("kenji", "sk_tokai", "fax", "2.9.1",
      "Inbound faxes fail at 14.4k with T.38 from one carrier",
      "Faxes from one carrier's customers fail after the first page; the log shows T.38 "
      "re-INVITE timeouts.", "third_party", 7, priority="medium", frequency="sometimes",
      scope="Only calls arriving through carrier NTT East trunk group."),
    S("yuki", "sk_tokai", "voicemail", "4.3.0",
      "ボイスメールの日本語ガイダンスが途中で切れる",
      "日本語のシステムガイダンスが最後の1秒ほど切れて再生されます。英語は問題ありません。",
      "investigation", 1.5, priority="medium", frequency="always"),
    S("kenji", "sk_tokai", "acd", "7.4.0",
      "ACD overflow to the Osaka site not triggered after 120 s",
      "Calls should overflow to Osaka after 120 seconds in queue but wait up to 6 minutes.",
      "customer_responded", 4, priority="high", frequency="always",
      business_impact="Abandon rate doubled during the morning peak.",
      question="Please export the overflow rule and the queue configuration, and confirm "
               "whether Osaka agents were in Ready during the long waits.",
      answer="Exports attached. Yes, at least four Osaka agents were Ready (screenshot)."),
    S("yuki", "sk_tokai", "media", "5.5.0",
      "Media Server CPU at 95% during the morning peak",
      "Between 9:00 and 10:00 the media servers reach 95% CPU and prompts start to stutter.",
      "resolved", 35, priority="high", frequency="always",
      load_at_time="420 concurrent calls, 180 of them in IVR.",
      solution="Transcoding G.729 for every IVR leg; enable pass-through for G.729 on the "
               "IVR profile. Load dropped to 55% in our lab with your call mix.",
      outcome=("workaround",)),
    S("kenji", "sk_tokai", "ivr", "6.3.1",
      "IVR Studio: publishing a call flow takes over 10 minutes",
      "Publishing any call flow takes 10–12 minutes, previously under a minute.",
      "followup_closed", 22,
      solution="Publishing validates every prompt in the library; yours holds 4,000 unused "
               "prompts. Archive them (Library > Clean up); publishing then takes about a minute."),
    S("dana", "pv_midwest", "ivr", "6.2.0",
      "Appointment reminder IVR reads dates in the wrong format",
      "Reminder calls say 'the third of the fourth' instead of 'April third'.",
      "resolved", 52,
      solution="Set the prompt locale to en-US on the reminder flow; it inherits en-GB from "
               "the tenant default.",
      outcome=("configuration",)),
    S("marcus", "pv_midwest", "sipgw", "10.0.4",
      "Calls to toll-free numbers fail with 484 Address Incomplete",
      "All outbound calls to 1-8xx numbers fail; local and long-distance calls work.",
      "resolved_by_support", 48, priority="medium", frequency="always", channel=Channel.PHONE,
      outcome=("configuration",),
      solution="The dial plan sends 1-8xx numbers without the trunk prefix. Add the pattern "
               "1-8XX-NXX-XXXX to the 'Toll free' class on the gateway (steps attached)."),
    S("dana", "pv_midwest", "voicemail", "4.2.5",
      "Voicemail storage warning although old messages were purged",
      "The server reports 92% storage used although we purged messages older than 90 days.",
      "followup_closed", 44, frequency="always",
      solution="Purging removes messages but not their transcoded copies. Run 'vmadmin "
               "compact --transcoded' in a quiet hour; it frees the space without downtime."),
    S("dana", "pv_midwest", "dialer", "8.4.3",
      "Call-back scheduler skips Monday call-backs",
      "Call-backs scheduled for Monday mornings are not dialled.", "cancelled", 50,
      priority="medium"),
    S("camila", "ac_pacifico", "acd", "7.4.0",
      "Llamadas en cola se desconectan a los 10 minutos",
      "Las llamadas que esperan más de 10 minutos en la cola de reservas se cortan sin "
      "mensaje.", "investigation", 3, priority="high", frequency="always",
      business_impact="Pérdida de reservas en la campaña de temporada alta."),
    S("diego", "ac_pacifico", "desktop", "5.1.0",
      "Agent Desktop login slow over VPN for home agents",
      "Home agents wait 2–3 minutes at login; office agents log in within seconds.",
      "info_required", 6, priority="medium", scope="Only home agents on the VPN."),
    S("camila", "ac_pacifico", "asr", "3.1.2",
      "Speech recognition confuses 'sí' and 'seis' in the booking menu",
      "Callers answering 'sí' to confirm are heard as 'seis' and sent to the seat menu.",
      "future_fix", 40, priority="medium", frequency="sometimes",
      outcome=("defect", "CR-48377", "accepted")),
    S("diego", "ac_pacifico", "ivr", "6.3.1",
      "Add a Lima–Cusco branch to the flight-status menu",
      "Please add option 4 (Lima–Cusco) to the flight-status menu, routed to queue RES-CUZ.",
      "resolved_by_support", 30, kind="service_request", outcome=("configuration",),
      solution="Branch added on your tenant: option 4 routes to RES-CUZ. We tested it with "
               "a call from our lab; please confirm from your side."),
    S("olivia", "sc_coastal", "crm_dyn", "2.4.0",
      "Dynamics 365 connector fails after Microsoft token change",
      "Since Microsoft's authentication change the connector logs 'AADSTS700016' and agents "
      "get no customer record.", "engineering", 5, priority="high", frequency="always",
      business_impact="120 agents working without customer context."),
    S("olivia", "sc_coastal", "acd", "7.4.0",
      "Callback-in-queue offers callbacks after hours",
      "Callers at 19:55 are offered a callback although the centre closes at 20:00.",
      "new", 0.1, frequency="always"),
    S("olivia", "sc_coastal", "ivr", "6.3.1",
      "Outage message not played in storm mode",
      "When storm mode is switched on, callers still hear the standard menu.",
      "resolved", 15, priority="medium", outcome=("fix",),
      solution="Patch 6.3.2 fixes storm mode being ignored on flows with a holiday schedule; "
               "it is in the resource centre."),
    S("aisha", "nw_cityline", "ivr", "6.3.1",
      "Export an IVR call flow as PDF for our auditors",
      "Our auditors ask for a printable view of each call flow. Is there an export?",
      "replied", 3, sub_type="inquiry",
      solution="Not today; I have logged enhancement request ER-1187 for a PDF export. In the "
               "meantime File > Print preview gives a paginated view.",
      outcome=("enhancement",)),
    S("tom", "nw_harbour", "sipgw", "10.1.2",
      "Gateway rejects calls from the Oakridge SBC after its firmware update",
      "Since the SBC firmware update, calls from it are rejected with 400 Bad Request.",
      "redirected", 9, priority="medium", frequency="always",
      solution="The trace shows the Oakridge SBC now sends a malformed Diversion header. The "
               "SBC was not bought from us (G5), so please raise it with Oakridge; the trace "
               "and our analysis are attached for them."),
    S("priya", "nw_harbour", "acd", "7.4.0",
      "Supervisor silent monitoring not available for the new team",
      "Supervisors of the new mortgages team do not get the 'Monitor' button.", "new", 0.4),
    S("rafael", "sn_horizonte", "acd", "7.4.0",
      "Relatório de tempo médio de espera diverge do wallboard",
      "O relatório diário mostra TME de 45 s, o wallboard mostrou 2 min no mesmo período.",
      "customer_responded", 2.5, priority="medium"),
    S("kenji", "sk_tokai", "acd", "7.4.0",
      "Wallboard shows a negative number of available agents",
      "The 'Available' tile shows -2 for a few seconds after shift change.", "new", 0.05),
    S("priya", "nw_cityline", "desktop", "5.1.0",
      "Agent status stuck in 'Wrap-up' after the customer hangs up first",
      "Agents remain in Wrap-up indefinitely when the customer hangs up during a transfer.",
      "cancelled", 11, priority="low"),
)
# fmt: on
