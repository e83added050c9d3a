/** Subscribe-message event pushes as WeChat sends them, for the parser and normalizer tests. */

export const xmlHead = (event: string, createTime = '1610969440'): string =>
  '<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName>' +
  '<FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>' +
  `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
  `<Event><![CDATA[${event}]]></Event>`;

// The popup samples are the ones of WeChat's subscribe-message docs, as carried by WxJava
// weixin-java-miniapp/src/test/java/cn/binarywang/wx/miniapp/bean/WxMaMessageTest.java (one item)
// and several other SDKs' suites (two items, indented as printed in the docs).
export const popupOneXml =
  xmlHead('subscribe_msg_popup_event') +
  '<SubscribeMsgPopupEvent>\n <List>\n' +
  '   <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>\n' +
  '   <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>\n' +
  '   <PopupScene>0</PopupScene>\n </List>\n</SubscribeMsgPopupEvent></xml>';

export const popupTwoXml = `<xml>
    <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
    <FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>
    <CreateTime>1610969440</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[subscribe_msg_popup_event]]></Event>
    <SubscribeMsgPopupEvent>
        <List>
            <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
            <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
        <List>
            <TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
            <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
    </SubscribeMsgPopupEvent>
</xml>`;

export const changeItemXml =
  '<List><TemplateId><![CDATA[BEwX0BOT3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8]]></TemplateId>' +
  '<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List>';

// WxJava WxMaMessageTest#testSubscribeMsgSentEvent.
export const sentXml =
  xmlHead('subscribe_msg_sent_event', '1620963428') +
  '<SubscribeMsgSentEvent><List>' +
  '<TemplateId><![CDATA[BEwX0BO-T3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8]]></TemplateId>\n' +
  '<MsgID>1864323726461255680</MsgID>\n<ErrorCode>0</ErrorCode>\n' +
  '<ErrorStatus><![CDATA[success]]></ErrorStatus>\n</List></SubscribeMsgSentEvent></xml>';

export const jsonHead =
  '"ToUserName":"gh_123456789abc","FromUserName":"o7esq5PHRGBQYmeNyfG064wEFVpQ","CreateTime":1620963428,"MsgType":"event"';
